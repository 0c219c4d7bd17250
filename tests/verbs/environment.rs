//! `set-environment`, `unset-environment`, `import-environment`, `show-environment`: the
//! client environment persists in the scope's state, so a later `start` from another
//! process (a shell, `docker exec`, PID 1) sees it, as 252's manager keeps it in memory.

use crate::init::container::{Container, Rootfs};
use crate::lifecycle::Lab;
use crate::support::run_cmd;
use std::process::Command;

const DUMP: &str = "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'env > %s'\n";

fn dump_unit(out: &std::path::Path) -> String {
    DUMP.replace("%s", &out.display().to_string())
}

fn lines(text: &str) -> Vec<&str> {
    let mut l: Vec<&str> = text.lines().collect();
    l.sort();
    l
}

#[test]
fn a_later_start_sees_set_and_unset_variables() {
    let lab = Lab::new();
    lab.unit("dump.service", &dump_unit(&lab.out("env")));
    lab.ctl(&[
        "set-environment",
        "ZZ=1",
        "AA=two words",
        "PATH=/usr/bin:/bin",
    ])
    .ok();
    lab.ctl(&["set-environment", "GONE=x", "KEEP=y"]).ok();
    lab.ctl(&["unset-environment", "GONE", "KEEP=other"]).ok();
    let shown = lab.ctl(&["show-environment"]);
    assert_eq!(
        shown.ok().stdout,
        "LANG=C.UTF-8\nPATH=/usr/bin:/bin\nAA=$'two words'\nKEEP=y\nZZ=1\n",
        "252's order: the sorted defaults, then the client's new names"
    );
    lab.ctl(&["start", "dump.service"]).ok();
    let env = lab.read_out("env");
    for want in ["ZZ=1", "AA=two words", "KEEP=y", "PATH=/usr/bin:/bin"] {
        assert!(lines(&env).contains(&want), "{want} missing:\n{env}");
    }
    assert!(!env.contains("GONE="), "{env}");
    // Unsetting a default only drops the client's value: the default comes back.
    lab.ctl(&["unset-environment", "PATH"]).ok();
    lab.ctl(&["start", "dump.service"]).ok();
    let env = lab.read_out("env");
    assert!(
        lines(&env).contains(&"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        "{env}"
    );
}

#[test]
fn refusals_and_imports_are_worded_as_252() {
    let lab = Lab::new();
    let before = lab.ctl(&["show-environment"]).ok().stdout.clone();
    for (args, message) in [
        (
            &["set-environment", "1A=1"][..],
            "Failed to set environment: Invalid environment assignments\n",
        ),
        (
            &["set-environment", "A=1", "A=2"],
            "Failed to set environment: Invalid environment assignments\n",
        ),
        (
            &["set-environment", "NOEQ"],
            "Failed to set environment: Invalid environment assignments\n",
        ),
        (
            &["unset-environment", "A-B"],
            "Failed to set environment: Invalid environment variable names or assignments\n",
        ),
        (&["set-environment"], "Too few arguments.\n"),
    ] {
        let run = lab.ctl(args);
        assert_eq!((run.code, run.stderr.as_str()), (1, message), "{args:?}");
    }
    assert_eq!(
        lab.ctl(&["show-environment"]).stdout,
        before,
        "a refusal changes nothing"
    );

    let systemctl = crate::support::applet("systemctl");
    let root = format!("--root={}", lab.tree.path().display());
    let import = |args: &[&str]| {
        run_cmd(
            Command::new(&systemctl)
                .env("FOO", "bar")
                .env("CTRL", "a\u{1}b")
                .arg(&root)
                .arg("import-environment")
                .args(args),
        )
    };
    let bad = import(&["FOO", "X-Y"]);
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (1, "Not a valid environment variable name: X-Y\n")
    );
    let named = import(&["FOO", "NOPE", "CTRL"]);
    assert_eq!(
        (named.code, named.stderr.as_str()),
        (
            0,
            "Environment variable $NOPE not set, ignoring.\n\
             Environment variable $CTRL contains control characters, importing anyway.\n"
        )
    );
    let shown = lab
        .ctl(&["show-environment", "-o", "json"])
        .ok()
        .stdout
        .clone();
    assert!(
        shown.contains(r#""CTRL":"a\u0001b","FOO":"bar""#),
        "{shown}"
    );
    let all = import(&[]);
    assert!(
        all.stderr.starts_with(
            "Calling import-environment without a list of variable names is deprecated.\n"
        ),
        "{all:?}"
    );
    assert!(lab
        .ctl(&["show-environment"])
        .stdout
        .contains("\nFOO=bar\n"));
}

#[test]
fn under_pid1_a_start_after_set_environment_sees_it() {
    let fs = Rootfs::new();
    fs.write(
        "/etc/systemd/system/dump.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'env > /dump.env'\n",
    );
    let c = Container::boot(fs, None, &[]);
    assert_eq!(c.wait_booted(), "running", "console:\n{}", c.console());
    c.systemctl(&["set-environment", "FROM_EXEC=1"]).ok();
    c.systemctl(&["start", "dump.service"]).ok();
    let env = c.exec(&["/bin/cat", "/dump.env"]);
    assert!(
        env.ok().stdout.lines().any(|l| l == "FROM_EXEC=1"),
        "{env:?}"
    );
}
