//! Real processes: these tests fork children (and need root for the credential change).

use super::*;
use crate::exec::command::parse_exec_line;
use crate::exec::context::ExecContext;
use crate::exec::credentials::{resolve_credentials, UserEntry};
use crate::exec::environment::{assemble, EnvInputs, ManagerVars};
use crate::exec::prepare::{login_vars, open_stdio, process_spec, ProcessInputs};
use crate::root::Root;
use crate::users::UserDb;
use std::io::Read;

fn is_root() -> bool {
    nix::unistd::getuid().is_root()
}

fn sh(script: &str) -> ProcessSpec {
    let mut env = EnvBlock::default();
    env.set("PATH", super::super::manager_env::DEFAULT_PATH);
    ProcessSpec::new(
        "/bin/sh",
        vec!["sh".into(), "-c".into(), script.into()],
        env,
    )
}

/// Runs `spec` with stdout and stderr into a temp file; returns (exit, exec result, output).
fn run(mut spec: ProcessSpec) -> (ExitStatus, Result<(), ExecFailure>, String) {
    let out = tempfile::tempfile().unwrap();
    spec.stdout = ChildStdio::Fd(out.as_raw_fd());
    spec.stderr = ChildStdio::SameAs(1);
    let child = spawn(&spec).unwrap();
    let exec = child.wait_exec();
    let status = wait_for(child.pid).unwrap();
    let mut text = String::new();
    let mut f = out;
    use std::io::Seek;
    f.rewind().unwrap();
    f.read_to_string(&mut text).unwrap();
    (status, exec, text)
}

fn line<'a>(output: &'a str, key: &str) -> &'a str {
    output
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {output}"))
}

#[test]
fn runs_and_reports_exec_success_and_exit_code() {
    let (status, exec, out) = run(sh("echo hello; exit 3"));
    assert_eq!(exec, Ok(()));
    assert_eq!(status, ExitStatus::Exited(3));
    assert_eq!(out, "hello\n");
    assert_eq!(status.describe(), "status=3");
}

#[test]
fn environment_umask_cwd_limits_nice_session_and_exec_pid() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = sh(
        "echo umask=$(umask); echo cwd=$(pwd); echo nofile=$(ulimit -n); echo hardnofile=$(ulimit -Hn); \
         echo nice=$(cut -d' ' -f19 /proc/self/stat); echo pid=$$ exec=$SYSTEMD_EXEC_PID; \
         echo sid=$(cut -d' ' -f6 /proc/self/stat) pgid=$(cut -d' ' -f5 /proc/self/stat); \
         echo sigmask=$(grep SigBlk /proc/self/status | cut -f2); echo foo=$FOO; \
         echo fds=$(ls /proc/self/fd | wc -l)",
    );
    spec.env.set("FOO", "bar baz");
    spec.set_exec_pid = true;
    spec.umask = 0o027;
    spec.working_directory = Some(dir.path().to_path_buf());
    spec.nice = Some(5);
    spec.limits = vec![crate::exec::limits::parse_limit("LimitNOFILE", "64:128").unwrap()];
    let (status, exec, out) = run(spec);
    assert_eq!((status, exec), (ExitStatus::Exited(0), Ok(())), "{out}");
    assert_eq!(line(&out, "umask="), "0027");
    assert_eq!(line(&out, "cwd="), dir.path().to_str().unwrap());
    assert_eq!(line(&out, "nofile="), "64");
    assert_eq!(line(&out, "hardnofile="), "128");
    assert_eq!(line(&out, "nice="), "5");
    assert_eq!(line(&out, "foo="), "bar baz");
    assert_eq!(line(&out, "sigmask="), "0000000000000000");
    let pids: Vec<&str> = line(&out, "pid=").split(" exec=").collect();
    assert_eq!(pids[0], pids[1], "SYSTEMD_EXEC_PID is the process itself");
    let ids: Vec<&str> = line(&out, "sid=").split(" pgid=").collect();
    assert_eq!(ids[0], ids[1], "new session, leader of its process group");
    // The shell's subshell for `ls` has 0,1,2 plus the directory fd it reads: nothing leaked.
    assert_eq!(line(&out, "fds="), "4", "{out}");
}

#[test]
fn drops_privileges_to_nobody_with_supplementary_groups() {
    if !is_root() {
        return;
    }
    let db = UserDb::load(&Root::host());
    if db.user_by_name("nobody").is_none() || db.group_by_name("adm").is_none() {
        return;
    }
    let creds = resolve_credentials(&db, Some("nobody"), None, &["adm".into()]).unwrap();
    let adm = db.group_by_name("adm").unwrap().gid;
    let nobody = db.user_by_name("nobody").unwrap().clone();
    let mut spec = sh("echo uid=$(id -u) gid=$(id -g); echo groups=$(id -G)");
    spec.credentials = Ok(creds);
    let (status, exec, out) = run(spec);
    assert_eq!((status, exec), (ExitStatus::Exited(0), Ok(())), "{out}");
    assert_eq!(
        line(&out, "uid="),
        format!("{} gid={}", nobody.uid, nobody.gid)
    );
    let mut groups: Vec<u32> = line(&out, "groups=")
        .split_whitespace()
        .map(|g| g.parse().unwrap())
        .collect();
    groups.sort();
    let mut expected = vec![nobody.gid, adm];
    expected.sort();
    assert_eq!(groups, expected);
}

#[test]
fn failures_before_exec_use_systemd_exit_codes() {
    let mut spec = sh("exit 0");
    spec.working_directory = Some("/nonexistent/dir".into());
    let (status, exec, _) = run(spec.clone());
    assert_eq!(status, ExitStatus::Exited(200));
    assert_eq!(status.describe(), "status=200/CHDIR");
    assert_eq!(
        exec,
        Err(ExecFailure {
            exit_code: 200,
            errno: libc::ENOENT
        })
    );
    spec.working_directory_optional = true;
    let (status, exec, _) = run(spec);
    assert_eq!(
        (status, exec),
        (ExitStatus::Exited(0), Ok(())),
        "'-' ignores a bad directory"
    );

    let mut missing = sh("");
    missing.executable = Ok("/nonexistent/binary".into());
    let (status, exec, _) = run(missing);
    assert_eq!(status.describe(), "status=203/EXEC");
    assert_eq!(exec.unwrap_err().errno, libc::ENOENT);

    let mut unknown = sh("exit 0");
    unknown.credentials = Err(CredentialError {
        exit_code: 217,
        message: "no such user".into(),
    });
    let (status, exec, _) = run(unknown);
    assert_eq!(status.describe(), "status=217/USER");
    assert_eq!(exec.unwrap_err().exit_code, 217);

    let mut bad_stdout = sh("exit 0");
    bad_stdout.stdout = ChildStdio::Fd(9999);
    let child = spawn(&bad_stdout).unwrap();
    assert_eq!(child.wait_exec().unwrap_err().exit_code, 209);
    assert_eq!(wait_for(child.pid).unwrap(), ExitStatus::Exited(209));
}

#[test]
fn killed_children_are_described_by_signal() {
    let (status, _, _) = run(sh("kill -TERM $$"));
    assert_eq!(status, ExitStatus::Killed(libc::SIGTERM));
    assert_eq!(status.describe(), "signal=TERM");
    assert_eq!(
        (status.code_name(), status.status_value()),
        ("killed", "TERM".to_string())
    );
}

#[test]
fn passed_descriptors_become_fd_3() {
    let src = tempfile::tempfile().unwrap();
    use std::io::{Seek, Write};
    let mut f = src;
    f.write_all(b"from fd 3").unwrap();
    f.rewind().unwrap();
    let mut spec = sh("cat <&3");
    spec.pass_fds = vec![f.as_raw_fd()];
    let (status, _, out) = run(spec);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "from fd 3");
}

/// The whole path a supervisor takes: settings → credentials → environment → spec →
/// process, with the man page's `$ONE $TWO $THREE` example and the `-` prefix.
#[test]
fn full_pipeline_expands_variables_like_the_man_page() {
    let root = Root::host();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out");
    let mut ctx = ExecContext {
        environment: vec![
            ("ONE".into(), "'one'".into()),
            ("TWO".into(), "'two two' too".into()),
            ("THREE".into(), String::new()),
        ],
        standard_output: crate::exec::stdio::StdOutput::Truncate(out_path.clone()),
        ..Default::default()
    };
    let creds = Ok(Credentials::default());
    let manager = ManagerVars {
        login: login_vars(&creds),
        invocation_id: Some("00112233445566778899aabbccddeeff".into()),
        ..Default::default()
    };
    let scope = crate::scope::Scope::new(
        crate::scope::ScopeKind::System,
        root.clone(),
        crate::users::Identity::root_user(),
        &|_| None,
    );
    let defaults = crate::exec::manager_env::manager_environment(&scope, &[]);
    let env = assemble(&EnvInputs {
        defaults: &defaults,
        manager: &manager,
        own_environment: &[],
        pass_all: false,
        pass_environment: &[],
        unit_environment: &ctx.environment,
        file_environment: &[],
        unset: &[],
    });
    let line = "-printf [%s] ${ONE} ${TWO} ${THREE} ; printf <%s> $ONE $TWO $THREE ; printf %s\\n $INVOCATION_ID";
    let parsed = parse_exec_line(line, &|s| Ok(s.to_string()));
    assert_eq!(parsed.error, None);
    assert!(parsed.commands[0].flags.ignore_failure);
    for cmd in &parsed.commands {
        let mut spec = process_spec(
            cmd,
            &ProcessInputs {
                context: &ctx,
                env: &env,
                credentials: &creds,
                root: &root,
                manager_home: std::path::Path::new("/root"),
                apply_root_directory: true,
            },
        );
        assert!(spec.executable.as_ref().unwrap().ends_with("bin/printf"));
        // Append the commands' outputs one after the other.
        ctx.standard_output = crate::exec::stdio::StdOutput::Append(out_path.clone());
        let stdio = open_stdio(&ctx, &root, None).unwrap();
        stdio.apply(&mut spec);
        let child = spawn(&spec).unwrap();
        drop(stdio);
        assert_eq!(child.wait_exec(), Ok(()));
        assert_eq!(wait_for(child.pid).unwrap(), ExitStatus::Exited(0));
    }
    let out = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(
        out,
        "['one']['two two' too][]<one><two two><too>00112233445566778899aabbccddeeff\n"
    );
}

#[test]
fn prefixes_skip_credentials_and_missing_commands_fail_at_exec() {
    let creds: Result<Credentials, CredentialError> = Ok(Credentials {
        user: Some(UserEntry {
            name: "nobody".into(),
            uid: 65534,
            home: "/nonexistent".into(),
            shell: "/usr/sbin/nologin".into(),
        }),
        gid: Some(65534),
        groups: Some(vec![65534]),
    });
    let ctx = ExecContext::default();
    let env = EnvBlock::default();
    let inputs = ProcessInputs {
        context: &ctx,
        env: &env,
        credentials: &creds,
        root: &Root::host(),
        manager_home: std::path::Path::new("/root"),
        apply_root_directory: true,
    };
    let plus = &parse_exec_line("+/bin/true", &|s| Ok(s.to_string())).commands[0];
    assert_eq!(
        process_spec(plus, &inputs).credentials,
        Ok(Credentials::default())
    );
    let bang = &parse_exec_line("!/bin/true", &|s| Ok(s.to_string())).commands[0];
    assert_eq!(
        process_spec(bang, &inputs).credentials,
        Ok(Credentials::default())
    );
    let plain = &parse_exec_line("/bin/true", &|s| Ok(s.to_string())).commands[0];
    assert_eq!(process_spec(plain, &inputs).credentials, creds);
    let missing = &parse_exec_line("no-such-tool-here", &|s| Ok(s.to_string())).commands[0];
    let spec = process_spec(missing, &inputs);
    assert_eq!(spec.executable, Err(libc::ENOENT));
    let (status, _, _) = run(ProcessSpec {
        credentials: Ok(Credentials::default()),
        ..spec
    });
    assert_eq!(status, ExitStatus::Exited(203));
}
