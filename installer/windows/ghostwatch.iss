; Inno Setup script for GhostWatch on Windows (see README.md here for how to build it).
; A per-user install (no administrator rights), a Start-menu entry, optional start at login, and an uninstaller
; that keeps the user's history and settings unless asked to remove them.

#define AppName "GhostWatch"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppExe "ghostwatch.exe"

[Setup]
AppId={{6B9E7C52-3F0D-4C1B-9E0B-8A1D2B6C4F10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=The GhostWatch developers
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DisableProgramGroupPage=yes
OutputDir=..\..\dist
OutputBaseFilename=GhostWatch-{#AppVersion}-setup
SetupIconFile=ghostwatch.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes

[Tasks]
Name: "startatlogin"; Description: "Start GhostWatch when I log in (it waits in the tray)"; Flags: unchecked
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; the PyInstaller one-folder bundle built by `pyinstaller installer\ghostwatch.spec --distpath dist`
Source: "..\..\dist\ghostwatch\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; the same Run value the app's own "Start GhostWatch when I log in" setting writes (core/autostart.py)
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "GhostWatch"; \
  ValueData: """{app}\{#AppExe}"" ""--minimized"""; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{cmd}"; Parameters: "/C taskkill /IM {#AppExe} /F"; Flags: runhidden; RunOnceId: "StopGhostWatch"

[Code]
// History and settings live in %LOCALAPPDATA%\GhostWatch (platformdirs); they are kept unless the user says so.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\GhostWatch');
    if DirExists(DataDir) then
      if MsgBox('Also delete GhostWatch''s history and settings in ' + DataDir + '?',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
