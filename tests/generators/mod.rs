//! Generators (systemd.generator(7)): real generator scripts run by our `systemctl
//! daemon-reload` in `--root` trees (they run on the host, as services do there), by
//! `systemctl` in a chroot with no PID 1 of ours, and by PID 1 at boot ([`pid1`]).

pub mod pid1;
mod sysv;

use crate::support::{run_cmd, Tree};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

pub const SYSTEM_GENERATORS: &str = "/etc/systemd/system-generators";

/// Writes an executable script.
pub fn script(tree: &Tree, logical: &str, text: &str) {
    tree.write(logical, text);
    std::fs::set_permissions(tree.host(logical), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A generator that records its arguments and environment in `out`, and writes a oneshot
/// `gend.service` wanted by `multi-user.target` into its normal directory.
fn recording_generator(out: &std::path::Path) -> String {
    format!(
        "#!/bin/sh\n\
         {{ echo \"ARGS=$*\"; echo \"PID=$$\"; env; }} > {out}\n\
         mkdir -p \"$1/multi-user.target.wants\"\n\
         printf '[Unit]\\nDescription=generated\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/true\\n' > \"$1/gend.service\"\n\
         ln -s ../gend.service \"$1/multi-user.target.wants/gend.service\"\n\
         printf '[Unit]\\nDescription=late\\n' > \"$3/late.target\"\n",
        out = out.display()
    )
}

fn var<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

#[test]
fn daemon_reload_runs_generators_with_the_output_dirs_and_252s_environment() {
    let t = Tree::new();
    t.write(
        "/usr/lib/systemd/system/multi-user.target",
        "[Unit]\nDescription=M\n",
    );
    let out = t.host("/gen-env.txt");
    script(
        &t,
        &format!("{SYSTEM_GENERATORS}/a-gen"),
        &recording_generator(&out),
    );
    let r = t.systemctl(&["daemon-reload"]);
    assert_eq!(r.code, 0, "{r:#?}");
    let env = std::fs::read_to_string(&out).expect("the generator ran");
    let dirs = ["generator", "generator.early", "generator.late"]
        .map(|d| t.host(&format!("/run/systemd/{d}")).display().to_string());
    assert_eq!(var(&env, "ARGS"), Some(dirs.join(" ").as_str()));
    assert_eq!(var(&env, "SYSTEMD_SCOPE"), Some("system"));
    assert_eq!(var(&env, "SYSTEMD_IN_INITRD"), Some("0"));
    // The tree has no /etc/machine-id: a first boot.
    assert_eq!(var(&env, "SYSTEMD_FIRST_BOOT"), Some("1"));
    assert_eq!(var(&env, "SYSTEMD_ARCHITECTURE"), Some("x86-64"));
    assert_eq!(var(&env, "SYSTEMD_EXEC_PID"), var(&env, "PID"));
    // The manager's own environment is passed on.
    assert!(var(&env, "PATH").is_some(), "{env}");
    // Empty output directories are removed again, as 252's lookup_paths_trim_generator().
    assert!(!t.host("/run/systemd/generator.early").exists());

    let show = t.systemctl(&[
        "show",
        "-p",
        "UnitFileState",
        "-p",
        "FragmentPath",
        "gend.service",
    ]);
    assert_eq!(
        show.stdout,
        format!("FragmentPath=/run/systemd/generator/gend.service\nUnitFileState=generated\n")
    );
    let deps = t.systemctl(&["list-dependencies", "--plain", "multi-user.target"]);
    assert!(deps.stdout.contains("gend.service"), "{deps:#?}");
    assert_eq!(t.systemctl(&["start", "gend.service"]).code, 0);
    assert_eq!(
        t.systemctl(&["is-active", "gend.service"]).stdout,
        "active\n"
    );
    let late = t.systemctl(&["show", "-p", "FragmentPath", "late.target"]);
    assert_eq!(
        late.stdout,
        "FragmentPath=/run/systemd/generator.late/late.target\n"
    );
    t.systemctl(&["stop", "gend.service"]);
}

#[test]
fn a_failing_generator_is_logged_and_skipped_and_old_output_is_flushed() {
    let t = Tree::new();
    let out = t.host("/gen-env.txt");
    script(
        &t,
        &format!("{SYSTEM_GENERATORS}/a-gen"),
        &recording_generator(&out),
    );
    script(
        &t,
        &format!("{SYSTEM_GENERATORS}/b-fail"),
        "#!/bin/sh\necho half > \"$1/half.service\"\nexit 3\n",
    );
    script(
        &t,
        &format!("{SYSTEM_GENERATORS}/c-signal"),
        "#!/bin/sh\nkill -TERM $$\n",
    );
    // Not executable: not a generator.
    t.write(
        &format!("{SYSTEM_GENERATORS}/d-plain"),
        "#!/bin/sh\nexit 1\n",
    );
    // Masked in /etc: the vendor one of that name never runs.
    script(
        &t,
        "/usr/lib/systemd/system-generators/e-masked",
        "#!/bin/sh\ntouch \"$1/masked-ran.service\"\n",
    );
    t.symlink("/dev/null", &format!("{SYSTEM_GENERATORS}/e-masked"));
    t.write(
        "/run/systemd/generator/stale.service",
        "[Service]\nExecStart=/bin/true\n",
    );

    let r = t.systemctl(&["daemon-reload"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(
        r.stderr
            .contains("/etc/systemd/system-generators/b-fail failed with exit status 3."),
        "{r:#?}"
    );
    assert!(
        r.stderr
            .contains("/etc/systemd/system-generators/c-signal terminated by signal TERM."),
        "{r:#?}"
    );
    assert!(!r.stderr.contains("d-plain"), "{r:#?}");
    let gen = t.host("/run/systemd/generator");
    assert!(
        gen.join("gend.service").exists(),
        "the other generators' output is used"
    );
    assert!(!gen.join("masked-ran.service").exists());
    assert!(
        !gen.join("stale.service").exists(),
        "the previous run's output is flushed"
    );
}

#[test]
fn generators_are_killed_at_the_timeout() {
    let t = Tree::new();
    script(
        &t,
        &format!("{SYSTEM_GENERATORS}/hang"),
        "#!/bin/sh\nsleep 30 &\nwait\n",
    );
    let start = std::time::Instant::now();
    let r = run_cmd(
        Command::new(crate::support::applet("systemctl"))
            .arg(format!("--root={}", t.path().display()))
            .arg("daemon-reload")
            .env("UNITBOX_GENERATOR_TIMEOUT", "300ms"),
    );
    assert!(start.elapsed().as_secs() < 10, "{r:#?}");
    assert!(
        r.stderr
            .contains("/etc/systemd/system-generators/hang timed out, killing."),
        "{r:#?}"
    );
}
