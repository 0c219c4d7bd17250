use super::*;
use crate::exec::context::WorkingDirectory;
use crate::exec::dirs::Preserve;
use crate::exec::stdio::{StdInput, StdOutput};
use crate::root::Root;
use crate::scope::ScopeKind;
use crate::unit::{syntax, UnitStore};
use crate::users::Identity;

fn system() -> Scope {
    Scope::new(
        ScopeKind::System,
        Root::host(),
        Identity::root_user(),
        &|_| None,
    )
}

fn settings(text: &str) -> Settings {
    let (entries, _) = syntax::parse(text, Path::new("/etc/systemd/system/t.service"));
    Settings { entries }
}

fn config(text: &str) -> (ServiceConfig, Warnings) {
    ServiceConfig::from_settings(&settings(text), &system(), &|s| Ok(s.to_string()))
}

#[test]
fn defaults_follow_systemd() {
    let (c, w) = config("[Service]\nExecStart=/bin/sleep 1\n");
    assert!(w.0.is_empty(), "{w:?}");
    assert_eq!(c.service_type, ServiceType::Simple);
    assert_eq!(c.timeout_start, DEFAULT_TIMEOUT);
    assert_eq!(c.timeout_stop, DEFAULT_TIMEOUT);
    assert_eq!(c.timeout_abort, DEFAULT_TIMEOUT);
    assert_eq!(c.restart, RestartPolicy::No);
    assert_eq!(c.restart_sec, 100_000);
    assert_eq!(c.runtime_max, USEC_INFINITY);
    assert_eq!(c.notify_access, NotifyAccess::None);
    assert_eq!(c.kill, KillConfig::default());
    assert_eq!(c.reload_signal, libc::SIGHUP);
    assert_eq!((c.start_limit_interval, c.start_limit_burst), (10 * SEC, 5));
    assert!(c.guess_main_pid && !c.remain_after_exit);
    assert_eq!(c.exec.umask, 0o022);
    assert_eq!(c.exec.standard_input, StdInput::Null);
    assert_eq!(c.exec.standard_output, StdOutput::Journal);
    assert_eq!(c.exec.standard_error, StdOutput::Inherit);
    assert_eq!(c.exec_start[0].argv, ["/bin/sleep", "1"]);

    let (c, _) = config("[Service]\nExecStop=/bin/true\nRemainAfterExit=yes\n");
    assert_eq!(c.service_type, ServiceType::Oneshot);
    assert_eq!(c.timeout_start, USEC_INFINITY);
    assert_eq!(c.timeout_stop, DEFAULT_TIMEOUT);
    assert!(c.remain_after_exit);
    let (c, _) = config("[Service]\nBusName=org.x\nExecStart=/bin/true\n");
    assert_eq!(c.service_type, ServiceType::Dbus);
}

#[test]
fn timeouts_restart_and_statuses() {
    let (c, w) = config(
        "[Service]\nType=notify\nExecStart=/bin/true\nTimeoutStartSec=5\nTimeoutSec=1min\n\
         TimeoutAbortSec=0\nRestart=on-failure\nRestartSec=2s\nRuntimeMaxSec=1h\nWatchdogSec=10\n\
         SuccessExitStatus=TEMPFAIL 250 SIGKILL\nSuccessExitStatus=3\nRestartPreventExitStatus=1 SIGABRT\n\
         RestartForceExitStatus=\nRestartForceExitStatus=42\nReloadSignal=SIGUSR1\n",
    );
    assert!(w.0.is_empty(), "{w:?}");
    assert_eq!(c.timeout_start, 5 * SEC);
    assert_eq!(c.timeout_stop, 60 * SEC);
    assert_eq!(c.timeout_abort, USEC_INFINITY);
    assert_eq!(c.restart, RestartPolicy::OnFailure);
    assert_eq!(c.restart_sec, 2 * SEC);
    assert_eq!(c.runtime_max, 3600 * SEC);
    assert_eq!(c.watchdog, 10 * SEC);
    assert_eq!(c.notify_access, NotifyAccess::Main);
    assert!(c.success_exit_status.contains_code(75) && c.success_exit_status.contains_code(3));
    assert!(c.success_exit_status.contains_signal(libc::SIGKILL));
    assert!(c.restart_prevent_exit_status.contains_signal(libc::SIGABRT));
    assert!(c.restart_force_exit_status.contains_code(42));
    assert_eq!(c.restart_force_exit_status.codes.len(), 1);
    assert_eq!(c.reload_signal, libc::SIGUSR1);

    let (c, _) = config("[Service]\nType=notify\nNotifyAccess=none\nExecStart=/bin/true\n");
    assert_eq!(c.notify_access, NotifyAccess::Main, "notify forces main");
    let (c, _) = config("[Service]\nNotifyAccess=all\nExecStart=/bin/true\n");
    assert_eq!(c.notify_access, NotifyAccess::All);
}

#[test]
fn kill_settings() {
    let (c, w) = config(
        "[Service]\nExecStart=/bin/true\nKillMode=mixed\nKillSignal=SIGINT\nFinalKillSignal=9\n\
         SendSIGKILL=no\nSendSIGHUP=yes\n",
    );
    assert!(w.0.is_empty());
    assert_eq!(c.kill.mode, KillMode::Mixed);
    assert_eq!(c.kill.signal, libc::SIGINT);
    assert_eq!(
        c.kill.restart_signal,
        libc::SIGINT,
        "defaults to KillSignal="
    );
    assert_eq!(c.kill.final_signal, libc::SIGKILL);
    assert!(!c.kill.send_sigkill && c.kill.send_sighup);
}

#[test]
fn bad_values_warn_with_file_and_line_and_keep_defaults() {
    let (c, w) = config(
        "[Service]\nExecStart=/bin/true\nType=bogus\nRestart=sometimes\nKillSignal=SIGFOO\nTimeoutStopSec=soon\nUMask=999\n",
    );
    assert_eq!(c.service_type, ServiceType::Simple);
    assert_eq!(c.restart, RestartPolicy::No);
    assert_eq!(c.kill.signal, libc::SIGTERM);
    assert_eq!(c.timeout_stop, DEFAULT_TIMEOUT);
    assert_eq!(c.exec.umask, 0o022);
    assert_eq!(w.0.len(), 5);
    assert_eq!(
        w.0[0].to_string(),
        "/etc/systemd/system/t.service:3: Failed to parse service type, ignoring: bogus"
    );
}

#[test]
fn exec_lines_reset_collect_and_report_refusals() {
    let (c, w) = config(
        "[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=\nExecStart=/bin/b ; /bin/c\n\
         ExecStartPre=-bad/path\nExecStopPost=relative/x\nExecReload=/bin/kill -HUP $MAINPID\n",
    );
    let paths: Vec<&str> = c.exec_start.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/bin/b", "/bin/c"]);
    assert!(c.exec_start_pre.is_empty());
    assert_eq!(w.0.len(), 1, "the '-' line is only a warning");
    assert_eq!(c.invalid.len(), 1);
    assert_eq!(c.invalid[0].line, 7);
    assert_eq!(c.exec_reload[0].argv, ["/bin/kill", "-HUP", "$MAINPID"]);
}

#[test]
fn exec_context_settings() {
    let (c, w) = config(
        "[Service]\nExecStart=/bin/true\nUser=nobody\nGroup=nogroup\nSupplementaryGroups=adm\n\
         SupplementaryGroups=tty\nDynamicUser=yes\nWorkingDirectory=-~\nRootDirectory=/srv/root\nUMask=0077\nNice=5\n\
         LimitNOFILE=100:200\nLimitCORE=infinity\nEnvironment=A=1 \"B=two words\"\nEnvironment=C=3\n\
         EnvironmentFile=-/etc/default/x\nPassEnvironment=TZ LANG\nUnsetEnvironment=A\n\
         StandardInput=tty\nStandardError=append:/var/log/x.log\nSyslogIdentifier=ident\n\
         SyslogLevelPrefix=no\nSyslogLevel=warning\nRuntimeDirectory=a b/c\nRuntimeDirectoryMode=0700\n\
         StateDirectory=st\nRuntimeDirectoryPreserve=restart\nPIDFile=x.pid\n\
         [Unit]\nStartLimitIntervalSec=30\nStartLimitBurst=2\nFailureAction=exit\n",
    );
    assert!(w.0.is_empty(), "{w:?}");
    let e = &c.exec;
    assert_eq!(e.user.as_deref(), Some("nobody"));
    assert_eq!(e.group.as_deref(), Some("nogroup"));
    assert_eq!(e.supplementary_groups, ["adm", "tty"]);
    assert!(e.dynamic_user);
    assert_eq!(e.working_directory, Some(WorkingDirectory::Home));
    assert!(e.working_directory_optional);
    assert_eq!(e.root_directory.as_deref(), Some(Path::new("/srv/root")));
    assert_eq!((e.umask, e.nice), (0o077, Some(5)));
    assert_eq!(e.limits.len(), 2);
    assert_eq!(
        e.environment,
        [
            ("A".into(), "1".into()),
            ("B".into(), "two words".into()),
            ("C".into(), "3".into())
        ]
    );
    assert!(e.environment_files[0].optional);
    assert_eq!(e.pass_environment, ["TZ", "LANG"]);
    assert_eq!(e.unset_environment, ["A"]);
    assert!(e.standard_input.is_tty());
    assert_eq!(
        e.standard_output,
        StdOutput::Inherit,
        "tty stdin makes stdout inherit"
    );
    assert_eq!(e.standard_error, StdOutput::Append("/var/log/x.log".into()));
    assert_eq!(e.syslog_identifier.as_deref(), Some("ident"));
    assert!(!e.syslog_level_prefix);
    assert_eq!(e.syslog_level, 4);
    assert_eq!(
        e.directories.runtime.paths,
        [PathBuf::from("a"), PathBuf::from("b/c")]
    );
    assert_eq!(e.directories.runtime.mode, 0o700);
    assert_eq!(e.directories.state.paths, [PathBuf::from("st")]);
    assert_eq!(e.directories.runtime_preserve, Preserve::Restart);
    assert_eq!(c.pid_file.as_deref(), Some(Path::new("/run/x.pid")));
    assert_eq!((c.start_limit_interval, c.start_limit_burst), (30 * SEC, 2));
    assert_eq!(c.failure_action, EmergencyAction::Exit);
}

#[test]
fn from_unit_resolves_specifiers_against_the_scope() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("etc/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(
        units.join("web@.service"),
        "[Service]\nExecStart=/bin/echo %n %i\nRuntimeDirectory=%p-%i\nPIDFile=%t/%i.pid\nEnvironment=NAME=%i\n",
    )
    .unwrap();
    let scope = Scope::new(
        ScopeKind::System,
        Root::new(dir.path()),
        Identity::root_user(),
        &|_| None,
    );
    let store = UnitStore::new(scope.clone());
    let unit = store.load(&crate::unit::UnitName::parse("web@blue.service").unwrap());
    let (c, w) = ServiceConfig::from_unit(&unit, &scope);
    assert!(w.0.is_empty(), "{w:?}");
    assert_eq!(
        c.exec_start[0].argv,
        ["/bin/echo", "web@blue.service", "blue"]
    );
    assert_eq!(
        c.exec.directories.runtime.paths,
        [PathBuf::from("web-blue")]
    );
    assert_eq!(c.pid_file.as_deref(), Some(Path::new("/run/blue.pid")));
    assert_eq!(
        c.exec.environment,
        [("NAME".to_string(), "blue".to_string())]
    );
}

#[test]
fn user_services_start_in_home() {
    let scope = Scope::new(
        ScopeKind::User,
        Root::host(),
        Identity::root_user(),
        &|_| None,
    );
    let (c, _) = ServiceConfig::from_settings(
        &settings("[Service]\nExecStart=/bin/true\nPIDFile=p\n"),
        &scope,
        &|s| Ok(s.to_string()),
    );
    assert_eq!(c.exec.working_directory, Some(WorkingDirectory::Home));
    assert!(c.pid_file.unwrap().ends_with("p"));
}
