//! `systemd-run`: transient services in temp `--root` trees (state under
//! `<root>/run/unitbox`, unit files under `<root>/run/systemd/transient`). The [`Lab`] of the
//! lifecycle tests stops and, as a last resort, kills what each test started.

use crate::lifecycle::{eventually, Lab};
use crate::support::{applet, run_cmd, Run};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn systemd_run(lab: &Lab, args: &[&str]) -> Run {
    run_cmd(
        Command::new(applet("systemd-run"))
            .args(root_arg(lab))
            .args(args),
    )
}

fn root_arg(lab: &Lab) -> [String; 1] {
    [format!("--root={}", lab.tree.path().display())]
}

fn transient_file(lab: &Lab, unit: &str) -> PathBuf {
    lab.tree.host(&format!("/run/systemd/transient/{unit}"))
}

/// The unit name of the `Running as unit: NAME; invocation ID: ID` line.
fn running_as(run: &Run) -> String {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("Running as unit: "))
        .unwrap_or_else(|| panic!("no 'Running as unit' line: {run:#?}"));
    let rest = &line["Running as unit: ".len()..];
    let (name, id) = rest.split_once("; invocation ID: ").expect("invocation ID");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
    name.to_string()
}

#[test]
fn wait_returns_the_exit_status_and_prints_the_summary() {
    let lab = Lab::new();
    let failed = systemd_run(&lab, &["--wait", "sh", "-c", "exit 3"]);
    assert_eq!(failed.code, 3, "{failed:#?}");
    let name = running_as(&failed);
    assert!(
        name.starts_with("run-u") && name.ends_with(".service"),
        "{name}"
    );
    let lines: Vec<&str> = failed.stderr.lines().skip(1).collect();
    assert_eq!(lines[0], "Finished with result: exit-code");
    assert_eq!(
        lines[1],
        "Main processes terminated with: code=exited/status=3"
    );
    assert!(lines[2].starts_with("Service runtime: "), "{lines:?}");
    let ok = systemd_run(&lab, &["--wait", "true"]);
    assert_eq!(ok.code, 0, "{ok:#?}");
    assert!(ok.stderr.contains("Finished with result: success\n"));
    assert!(ok
        .stderr
        .contains("Main processes terminated with: code=exited/status=0\n"));
    let killed = systemd_run(&lab, &["--wait", "-q", "sh", "-c", "kill -9 $$$$"]);
    assert_eq!(killed.code, 255, "{killed:#?}");
    assert_eq!(killed.stderr, "", "-q prints nothing");
}

#[test]
fn pipe_round_trips_data_and_propagates_the_status() {
    let lab = Lab::new();
    let mut child = Command::new(applet("systemd-run"))
        .args(root_arg(&lab))
        .args([
            "-q",
            "--pipe",
            "sh",
            "-c",
            "tr a-z A-Z; echo oops >&2; exit 4",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn systemd-run");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\nworld\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HELLO\nWORLD\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "oops\n");
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn finished_units_are_collected_and_failed_ones_stay_until_reset() {
    let lab = Lab::new();
    let done = systemd_run(&lab, &["true"]);
    assert_eq!(done.code, 0, "{done:#?}");
    let name = running_as(&done);
    let gone = eventually(Duration::from_secs(10), || {
        !transient_file(&lab, &name).exists() && !lab.state_path(&name).exists()
    });
    assert!(gone, "{name} was not collected");
    let status = lab.ctl(&["status", &name]);
    assert_eq!(status.code, 4, "{status:#?}");
    assert_eq!(status.stderr, format!("Unit {name} could not be found.\n"));

    let failed = systemd_run(&lab, &["false"]);
    let name = running_as(&failed);
    lab.wait_state(&name, "failed");
    assert!(transient_file(&lab, &name).exists());
    let show = lab.ctl(&["show", "-p", "Transient,UnitFileState", &name]);
    assert_eq!(show.stdout, "UnitFileState=transient\nTransient=yes\n");
    let status = lab.ctl(&["status", &name]);
    assert!(status.stdout.contains("  Transient: yes\n"), "{status:#?}");
    lab.ctl(&["reset-failed", &name]).ok();
    assert!(!transient_file(&lab, &name).exists());
    assert!(!lab.state_path(&name).exists());

    let collected = systemd_run(&lab, &["--collect", "--wait", "false"]);
    assert_eq!(collected.code, 1);
    let name = running_as(&collected);
    assert!(
        !transient_file(&lab, &name).exists(),
        "--collect: failed goes too"
    );
}

#[test]
fn names_that_exist_are_refused() {
    let lab = Lab::new();
    let first = systemd_run(&lab, &["-u", "keep", "--remain-after-exit", "true"]);
    assert_eq!(running_as(&first), "keep.service");
    let again = systemd_run(&lab, &["--unit=keep.service", "true"]);
    assert_eq!(again.code, 1);
    assert_eq!(
        again.stderr,
        "Failed to start transient service unit: Unit keep.service was already loaded or has a fragment file.\n"
    );
    lab.unit("web.service", "[Service]\nExecStart=/bin/true\n");
    let file = systemd_run(&lab, &["-u", "web", "true"]);
    assert_eq!(file.code, 1);
    assert!(file.stderr.contains("Unit web.service was already loaded"));
    lab.ctl(&["stop", "keep.service"]).ok();
}

#[test]
fn bad_commands_and_options_fail_as_systemd_run() {
    let lab = Lab::new();
    let missing = systemd_run(&lab, &["no-such-command-xyz", "arg"]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr,
        "Failed to find executable no-such-command-xyz: No such file or directory\n"
    );
    let unknown = systemd_run(&lab, &["-p", "Frobnicate=1", "true"]);
    assert_eq!(
        (unknown.code, unknown.stderr.as_str()),
        (1, "Unknown assignment: Frobnicate=1\n")
    );
    let timer = systemd_run(&lab, &["--on-active=5", "--pipe", "true"]);
    assert_eq!(
        (timer.code, timer.stderr.as_str()),
        (
            1,
            "--pty/--pipe is not compatible in timer or --scope mode.\n"
        )
    );
    let lonely = systemd_run(&lab, &["--timer-property=AccuracySec=1s", "true"]);
    assert_eq!(
        lonely.stderr,
        "--timer-property= has no effect without any other timer options.\n"
    );
    let nothing = systemd_run(&lab, &[]);
    assert_eq!(
        (nothing.code, nothing.stderr.as_str()),
        (1, "Command line to execute required.\n")
    );
    let both = systemd_run(&lab, &["--wait", "--no-block", "true"]);
    assert_eq!(both.stderr, "--wait may not be combined with --no-block.\n");
    let capsule = systemd_run(&lab, &["--capsule=a/b", "true"]);
    assert_eq!(
        (capsule.code, capsule.stderr.as_str()),
        (1, "Invalid capsule name: a/b\n")
    );
    let transient = lab.tree.host("/run/systemd/transient");
    let left = std::fs::read_dir(&transient)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "refused runs leave no unit behind");
}

#[test]
fn properties_and_environment_reach_the_service() {
    let lab = Lab::new();
    let out = lab.out("env");
    let script = format!("echo \"$X-$Y-$Z-$(pwd)\" > {}", out.display());
    let run = run_cmd(
        Command::new(applet("systemd-run"))
            .args(root_arg(&lab))
            .env("Z", "from-caller")
            .args([
                "--wait",
                "-p",
                "Environment=X=1",
                "-E",
                "Y=two words",
                "-E",
                "Z",
                "--working-directory=/tmp",
                "sh",
                "-c",
                &script,
            ]),
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(lab.read_out("env"), "1-two words-from-caller-/tmp\n");
}

#[test]
fn remain_after_exit_stays_active_until_stopped() {
    let lab = Lab::new();
    let run = systemd_run(&lab, &["-r", "-u", "stay", "true"]);
    assert_eq!(run.code, 0, "{run:#?}");
    // Type=simple: active (running) at once, active (exited) when `true` has exited.
    let exited = eventually(Duration::from_secs(10), || {
        lab.ctl(&["show", "-p", "ActiveState,SubState", "stay.service"])
            .stdout
            == "ActiveState=active\nSubState=exited\n"
    });
    assert!(exited, "{:?}", lab.state("stay.service"));
    assert!(transient_file(&lab, "stay.service").exists());
    lab.ctl(&["stop", "stay.service"]).ok();
    assert!(!transient_file(&lab, "stay.service").exists());
    assert_eq!(lab.active("stay.service"), "inactive");
}

#[test]
fn a_restarted_transient_unit_stays_and_is_collected_once_stopped() {
    let lab = Lab::new();
    let run = systemd_run(&lab, &["-r", "--unit=keep.service", "true"]);
    assert_eq!(running_as(&run), "keep.service");
    let mut seen = vec![lab.prop("keep.service", "InvocationID")];
    for round in 1..=2 {
        let restart = lab.ctl(&["restart", "keep.service"]);
        assert_eq!(
            (restart.code, restart.stderr.as_str()),
            (0, ""),
            "restart {round}: {restart:#?}"
        );
        assert!(
            transient_file(&lab, "keep.service").exists(),
            "restart {round} collected the unit"
        );
        assert_eq!(lab.active("keep.service"), "active", "restart {round}");
        let id = lab.prop("keep.service", "InvocationID");
        assert!(
            id.len() == 32 && !seen.contains(&id),
            "restart {round}: invocation ID {id:?}, earlier {seen:?}"
        );
        seen.push(id);
    }
    lab.ctl(&["stop", "keep.service"]).ok();
    assert!(!transient_file(&lab, "keep.service").exists());
    assert!(!lab.state_path("keep.service").exists());
}

#[test]
fn a_new_boot_discards_transient_units() {
    let lab = Lab::new();
    let failed = systemd_run(&lab, &["-q", "-u", "old", "false"]);
    assert_eq!(failed.code, 0);
    lab.wait_state("old.service", "failed");
    // Another boot: the state directory's boot record no longer matches.
    std::fs::write(lab.tree.host("/run/unitbox/boot"), "boot-id=0\n").unwrap();
    let run = systemd_run(&lab, &["--wait", "-q", "true"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(!transient_file(&lab, "old.service").exists());
}

#[test]
fn user_scope_runs_as_the_calling_user_with_its_paths() {
    let home = tempfile::tempdir().unwrap();
    let runtime = home.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    for dir in [home.path(), runtime.as_path()] {
        std::os::unix::fs::chown(dir, Some(65534), Some(65534)).unwrap();
    }
    let out = home.path().join("out");
    let script = format!(
        "id -u > {0}; echo \"$XDG_RUNTIME_DIR\" >> {0}",
        out.display()
    );
    let run = run_cmd(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(applet("systemd-run"))
            .args(["--user", "--wait", "-u", "mine", "sh", "-c", &script])
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", &runtime),
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("65534\n{}\n", runtime.display())
    );
    // User-scope paths: the journal under $XDG_RUNTIME_DIR/unitbox, the transient file
    // under $XDG_RUNTIME_DIR/systemd/transient (collected once finished).
    assert!(runtime
        .join("unitbox/journal/mine.service.journal")
        .exists());
    assert!(runtime.join("systemd/transient").is_dir());
    assert!(!runtime.join("systemd/transient/mine.service").exists());
}

#[test]
fn pty_gives_the_service_a_terminal() {
    let lab = Lab::new();
    let command = format!(
        "{} --root={} -q --pty sh -c 'tty; test -t 0 && echo on-a-tty'",
        applet("systemd-run").display(),
        lab.tree.path().display()
    );
    let run = run_cmd(Command::new("script").args(["-qec", &command, "/dev/null"]));
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(run.stdout.contains("/dev/pts/"), "{run:#?}");
    assert!(run.stdout.contains("on-a-tty"), "{run:#?}");
    // Without a terminal, --pty falls back to --pipe.
    let piped = systemd_run(&lab, &["-q", "--pty", "echo", "plain"]);
    assert_eq!(piped.code, 0, "{piped:#?}");
    assert_eq!(piped.stdout, "plain\n");
}
