//! Capsules and `DynamicUser=`: real capsule managers and services in temp `--root` trees.
//! Dynamic users are written into `<root>/etc/passwd` only; the machine's user database is
//! never touched. Each test's [`Lab`] stops the system units it started when dropped (a
//! capsule's units stop with its manager).

mod dynamic_user;

use crate::lifecycle::{eventually, pid_alive, Lab};
use crate::support::{applet, run_cmd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
pub const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// A lab whose tree the dynamic users can walk through (tempdirs are 0700) with a small
/// user database of its own.
pub fn lab() -> Lab {
    let lab = Lab::new();
    std::fs::set_permissions(lab.tree.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    lab.tree.write("/etc/passwd", PASSWD);
    lab.tree.write("/etc/group", GROUP);
    lab
}

pub fn passwd(lab: &Lab) -> String {
    std::fs::read_to_string(lab.tree.host("/etc/passwd")).unwrap()
}

/// The uid of `name` in the tree's passwd.
pub fn uid_of(lab: &Lab, name: &str) -> Option<u32> {
    passwd(lab)
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .and_then(|l| l.split(':').nth(2)?.parse().ok())
}

/// The real uid of a process.
pub fn process_uid(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn processes_of_uid(uid: u32) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| process_uid(*pid) == Some(uid) && pid_alive(*pid))
        .collect()
}

/// Starts `capsule@NAME.service` and waits until its manager's state directory exists.
fn start_capsule(lab: &Lab, name: &str) -> u32 {
    let unit = format!("capsule@{name}.service");
    let run = lab.ctl(&["start", &unit]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(lab.active(&unit), "active");
    let uid = uid_of(lab, &format!("c-{name}")).expect("capsule user in passwd");
    let state = lab
        .tree
        .host(&format!("/run/capsules/{name}/unitbox/units"));
    assert!(eventually(Duration::from_secs(10), || state.is_dir()));
    uid
}

/// Writes a user unit into the capsule's `~/.config/systemd/user`, owned by the capsule.
/// `WorkingDirectory=/`: a user manager's services start in `$HOME`, a logical path the
/// host does not have under `--root`.
fn capsule_unit(lab: &Lab, capsule: &str, uid: u32, name: &str, service: &str) {
    let home = format!("/var/lib/capsules/{capsule}");
    let dir = format!("{home}/.config/systemd/user");
    lab.tree.write(
        &format!("{dir}/{name}"),
        &format!("[Service]\nWorkingDirectory=/\n{service}"),
    );
    for d in [".config", ".config/systemd", ".config/systemd/user"] {
        std::os::unix::fs::lchown(lab.tree.host(&format!("{home}/{d}")), Some(uid), Some(uid))
            .unwrap();
    }
}

fn in_capsule(lab: &Lab, capsule: &str, args: &[&str]) -> crate::support::Run {
    let mut all = vec![format!("--capsule={capsule}")];
    all.extend(args.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    lab.ctl(&refs)
}

#[test]
fn the_seed_example_step_by_step() {
    let lab = lab();
    // systemctl start capsule@tatze.service
    let uid = start_capsule(&lab, "tatze");
    assert!((61184..=65519).contains(&uid));
    let home = lab.tree.host("/var/lib/capsules/tatze");
    let meta = std::fs::metadata(&home).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (uid, 0o700));
    assert_eq!(
        std::fs::read_link(&home).unwrap(),
        Path::new("../private/capsules/tatze")
    );
    assert_eq!(
        std::fs::metadata(lab.tree.host("/run/capsules/tatze"))
            .unwrap()
            .uid(),
        uid
    );
    let manager = lab.main_pid("capsule@tatze.service");
    assert_eq!(process_uid(manager), Some(uid));

    // systemd-run --capsule=tatze --unit=sleeptest.service sleep 999
    let run = run_cmd(
        Command::new(applet("systemd-run"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args([
                "--capsule=tatze",
                "--unit=sleeptest.service",
                "sleep",
                "999",
            ]),
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(
        run.stderr.starts_with("Running as unit: sleeptest.service"),
        "{run:#?}"
    );

    // systemctl --capsule=tatze status sleeptest.service: running as the capsule's uid.
    let status = in_capsule(&lab, "tatze", &["status", "sleeptest.service"]);
    assert_eq!(status.code, 0, "{status:#?}");
    assert!(
        status.stdout.contains("Active: active (running)"),
        "{}",
        status.stdout
    );
    let state = std::fs::read_to_string(
        lab.tree
            .host("/run/capsules/tatze/unitbox/units/sleeptest.service.state"),
    )
    .unwrap();
    let main: u32 = state
        .lines()
        .find_map(|l| l.strip_prefix("MainPID="))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert_eq!(process_uid(main), Some(uid));
    let show = in_capsule(
        &lab,
        "tatze",
        &["show", "-P", "MainPID", "sleeptest.service"],
    );
    assert_eq!(show.stdout.trim(), main.to_string());

    // systemctl --capsule=tatze stop sleeptest.service
    in_capsule(&lab, "tatze", &["stop", "sleeptest.service"]).ok();
    assert!(eventually(Duration::from_secs(5), || !pid_alive(main)));

    // A unit left running is stopped with the capsule.
    capsule_unit(
        &lab,
        "tatze",
        uid,
        "other.service",
        "ExecStart=/bin/sleep 998\n",
    );
    in_capsule(&lab, "tatze", &["start", "other.service"]).ok();
    assert!(!processes_of_uid(uid).is_empty());

    // systemctl stop capsule@tatze.service: every process gone, the uid free again.
    lab.ctl(&["stop", "capsule@tatze.service"]).ok();
    assert!(
        eventually(Duration::from_secs(10), || processes_of_uid(uid).is_empty()),
        "left: {:?}",
        processes_of_uid(uid)
    );
    assert_eq!(passwd(&lab), PASSWD);
    assert_eq!(
        std::fs::read_to_string(lab.tree.host("/etc/group")).unwrap(),
        GROUP
    );
    assert!(!lab.tree.host("/run/capsules/tatze").exists());
    assert!(home.exists(), "the home stays until clean");

    // systemctl clean --all capsule@tatze.service
    lab.ctl(&["clean", "--all", "capsule@tatze.service"]).ok();
    assert!(std::fs::symlink_metadata(&home).is_err());
    assert!(!lab.tree.host("/var/lib/private/capsules/tatze").exists());
}

#[test]
fn two_capsules_differ_in_uid_and_cannot_reach_each_other() {
    let lab = lab();
    let a = start_capsule(&lab, "a");
    let b = start_capsule(&lab, "b");
    assert_ne!(a, b);
    let root = lab.tree.path().display().to_string();
    std::fs::write(lab.tree.host("/var/lib/capsules/b/secret"), "b's").unwrap();
    let report = format!("{root}/var/lib/capsules/a/report");
    let script = format!(
        "cat {root}/var/lib/capsules/b/secret && echo read-b >> {report}; \
         touch {root}/run/capsules/b/x && echo wrote-b-runtime >> {report}; \
         touch {root}/etc/x && echo wrote-etc >> {report}; \
         touch {root}/var/lib/x && echo wrote-var-lib >> {report}; \
         touch {root}/var/lib/capsules/a/mine && echo wrote-home >> {report}; \
         touch {root}/run/capsules/a/mine && echo wrote-runtime >> {report}; true"
    );
    capsule_unit(
        &lab,
        "a",
        a,
        "probe.service",
        &format!("Type=oneshot\nExecStart=/bin/sh -c '{script}'\n"),
    );
    let run = in_capsule(&lab, "a", &["start", "probe.service"]);
    assert_eq!(run.code, 0, "{run:#?}");
    let report = std::fs::read_to_string(lab.tree.host("/var/lib/capsules/a/report")).unwrap();
    assert_eq!(report, "wrote-home\nwrote-runtime\n");
}

#[test]
fn bad_capsule_names_are_refused_before_anything_is_created() {
    let lab = lab();
    for bad in ["a.b", "x".repeat(30).as_str(), "-"] {
        let run = in_capsule(&lab, bad, &["status", "foo.service"]);
        if bad == "-" {
            // `c--` is a valid user name: only the capsule is missing.
            assert_eq!(run.code, 1);
            continue;
        }
        assert_eq!(
            (run.code, run.stderr.trim()),
            (1, format!("Invalid capsule name: {bad}").as_str())
        );
    }
    let run = lab.ctl(&["start", "capsule@a.b.service"]);
    assert_ne!(run.code, 0);
    let status = lab.ctl(&["status", "capsule@a.b.service"]);
    assert!(
        status.stdout.contains("Invalid capsule name: a.b"),
        "{status:#?}"
    );
    assert!(!lab.tree.host("/var/lib/capsules/a.b").exists());
    assert!(!lab.tree.host("/var/lib/private/capsules/a.b").exists());
    assert!(!lab.tree.host("/run/capsules/a.b").exists());
    assert_eq!(passwd(&lab), PASSWD);
    let run = lab.ctl(&["--system", "--capsule=tatze", "status"]);
    assert_eq!(
        (run.code, run.stderr.trim()),
        (1, "Cannot access system instance with --capsule=/-C.")
    );
}

#[test]
fn a_capsule_that_is_not_running_cannot_be_reached() {
    let lab = lab();
    let run = in_capsule(&lab, "nope", &["status", "foo.service"]);
    assert_eq!(
        (run.code, run.stderr.trim()),
        (
            1,
            "Failed to connect to user scope bus via capsule transport: No such file or directory"
        )
    );
}

fn journalctl(lab: &Lab, args: &[&str]) -> crate::support::Run {
    run_cmd(
        Command::new(applet("journalctl"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(args),
    )
}

#[test]
fn journalctl_capsule_shows_the_capsules_units() {
    let lab = lab();
    let uid = start_capsule(&lab, "tatze");
    capsule_unit(
        &lab,
        "tatze",
        uid,
        "echo.service",
        "Type=oneshot\nExecStart=/bin/sh -c 'echo hello from $$USER'\n",
    );
    let run = in_capsule(&lab, "tatze", &["start", "echo.service"]);
    assert_eq!(run.code, 0, "{run:#?}");
    for args in [
        ["--capsule=tatze", "-u", "echo"],
        ["-C", "tatze", "--user-unit=echo.service"],
    ] {
        let mut all = args.to_vec();
        all.extend(["-o", "cat"]);
        let logs = journalctl(&lab, &all);
        assert_eq!(logs.code, 0, "{args:?}: {logs:#?}");
        assert!(
            logs.stdout.lines().any(|l| l == "hello from c-tatze"),
            "{args:?}: {logs:#?}"
        );
    }
    // The system journal does not have the capsule's units.
    let system = journalctl(&lab, &["-u", "echo", "-o", "cat", "-q"]);
    assert_eq!((system.code, system.stdout.as_str()), (0, ""));
    let both = journalctl(&lab, &["--system", "-C", "tatze"]);
    assert_eq!(
        (both.code, both.stderr.as_str()),
        (1, "Cannot access system instance with --capsule=/-C.\n")
    );
    let absent = journalctl(&lab, &["--capsule=nope"]);
    assert_eq!(
        (absent.code, absent.stderr.as_str()),
        (
            1,
            "Failed to connect to user scope bus via capsule transport: No such file or directory\n"
        )
    );
    lab.ctl(&["stop", "capsule@tatze.service"]).ok();
}

#[test]
fn cat_shows_the_built_in_unit_until_a_file_replaces_it() {
    let lab = lab();
    let run = lab.ctl(&["cat", "capsule@tatze.service"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(run
        .stdout
        .starts_with("# /usr/lib/unitbox/built-in/capsule@.service\n# unitbox built-in"));
    assert!(run.stdout.contains("\nUser=c-%i\n"));
    let show = lab.ctl(&["show", "-P", "FragmentPath", "capsule@tatze.service"]);
    assert_eq!(
        show.stdout.trim(),
        "/usr/lib/unitbox/built-in/capsule@.service"
    );
    lab.unit("capsule@.service", "[Service]\nExecStart=/bin/true\n");
    let run = lab.ctl(&["cat", "capsule@tatze.service"]);
    assert!(run
        .stdout
        .starts_with("# /etc/systemd/system/capsule@.service\n"));
}
