//! What real starts record of `Condition*=`/`Assert*=` checks (`ConditionResult=`, the
//! `Condition:`/`Assert:` lines of `status`), and descriptions with specifiers as every
//! view shows them. Units are started through our `systemctl`, supervisors included.

use super::StopOnDrop;
use crate::support::*;
use std::process::Command;

/// `show -P PROPERTY` of one unit, trimmed.
fn property(t: &Tree, unit: &str, name: &str) -> String {
    t.systemctl(&["show", unit, "-P", name])
        .ok()
        .stdout
        .trim_end()
        .to_string()
}

#[test]
fn failed_conditions_are_recorded_by_real_starts() {
    let t = Tree::new();
    t.write(
        "/etc/systemd/system/skip.service",
        "[Unit]\nDescription=Skipper\nConditionPathExists=/etc\n\
         ConditionPathExists=/nonexistent\n[Service]\nExecStart=/bin/sleep 300\n",
    );
    t.write(
        "/etc/systemd/system/skip.target",
        "[Unit]\nConditionPathExists=!/etc\n",
    );
    let _stop = StopOnDrop {
        tree: &t,
        unit: "skip.service",
    };
    let never = t.systemctl(&["show", "skip.service", "-p", "ConditionResult"]);
    assert_eq!(never.stdout, "ConditionResult=no\n", "never checked");
    assert_eq!(property(&t, "skip.service", "ConditionTimestamp"), "");

    t.systemctl(&["start", "skip.service"]).ok();
    assert_eq!(t.systemctl(&["is-active", "skip.service"]).code, 3);
    let out = t.systemctl(&["status", "skip.service", "-n", "0"]);
    assert_eq!(out.code, 3, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "○ skip.service - Skipper", "{out:?}");
    assert_eq!(lines[2], "     Active: inactive (dead)", "{out:?}");
    assert!(
        lines[3].starts_with("  Condition: start condition failed at ")
            && lines[3].ends_with(" ago"),
        "{out:?}"
    );
    assert_eq!(
        lines[4], "             └─ ConditionPathExists=/nonexistent was not met",
        "only the failed condition is listed: {out:?}"
    );
    assert_eq!(lines.len(), 5, "{out:?}");
    let shown = t.systemctl(&["show", "skip.service", "-p", "ConditionResult"]);
    assert_eq!(shown.stdout, "ConditionResult=no\n");
    assert_ne!(property(&t, "skip.service", "ConditionTimestamp"), "");
    assert_eq!(property(&t, "skip.service", "AssertResult"), "no");
    assert_eq!(
        property(&t, "skip.service", "AssertTimestamp"),
        "",
        "asserts are not tested when a condition fails"
    );

    // Targets have no supervisor: the executor records their checks.
    t.systemctl(&["start", "skip.target"]).ok();
    assert_eq!(property(&t, "skip.target", "ConditionResult"), "no");
    let out = t.systemctl(&["status", "skip.target", "-n", "0"]);
    assert!(
        out.stdout
            .contains("\n             └─ ConditionPathExists=!/etc was not met\n"),
        "{out:?}"
    );
}

#[test]
fn met_conditions_and_failed_asserts_are_recorded() {
    let t = Tree::new();
    t.write(
        "/etc/systemd/system/met.service",
        "[Unit]\nConditionPathExists=/etc\nAssertPathExists=/etc\n[Service]\nType=oneshot\n\
         RemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    t.write(
        "/etc/systemd/system/insist.service",
        "[Unit]\nDescription=Insister\nAssertPathExists=/nonexistent\n\
         [Service]\nExecStart=/bin/sleep 300\n",
    );
    let _stop = [
        StopOnDrop {
            tree: &t,
            unit: "met.service",
        },
        StopOnDrop {
            tree: &t,
            unit: "insist.service",
        },
    ];
    t.systemctl(&["start", "met.service"]).ok();
    let shown = t.systemctl(&["show", "met.service", "-p", "ConditionResult,AssertResult"]);
    assert_eq!(shown.stdout, "ConditionResult=yes\nAssertResult=yes\n");
    assert_ne!(property(&t, "met.service", "ConditionTimestamp"), "");
    let monotonic = property(&t, "met.service", "AssertTimestampMonotonic");
    assert!(monotonic.parse::<u64>().unwrap() > 0, "{monotonic}");
    let out = t.systemctl(&["status", "met.service", "-n", "0"]);
    assert!(!out.stdout.contains("Condition:"), "{out:?}");
    assert!(!out.stdout.contains("Assert:"), "{out:?}");

    let failed = t.systemctl(&["start", "insist.service"]);
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(
        failed.stderr,
        "Assertion failed on job for insist.service.\n"
    );
    assert_eq!(t.systemctl(&["is-active", "insist.service"]).code, 3);
    assert_eq!(property(&t, "insist.service", "AssertResult"), "no");
    assert_eq!(property(&t, "insist.service", "ConditionResult"), "yes");
    let out = t.systemctl(&["status", "insist.service", "-n", "0"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[3].starts_with("     Assert: start assertion failed at "),
        "{out:?}"
    );
    assert_eq!(
        lines[4],
        "             AssertPathExists=/nonexistent was not met"
    );
    assert!(!out.stdout.contains("Condition:"), "{out:?}");
}

#[test]
fn template_descriptions_expand_specifiers_everywhere() {
    let t = Tree::new();
    t.write(
        "/etc/systemd/system/foo@.service",
        "[Unit]\nDescription=Foo for %i\n[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStart=/bin/true\n",
    );
    let _stop = StopOnDrop {
        tree: &t,
        unit: "foo@bar.service",
    };
    t.systemctl(&["start", "foo@bar.service"]).ok();

    let out = t.systemctl(&["status", "foo@bar.service", "-n", "0"]);
    assert_eq!(
        out.stdout.lines().next(),
        Some("● foo@bar.service - Foo for bar"),
        "{out:?}"
    );
    assert_eq!(
        property(&t, "foo@bar.service", "Description"),
        "Foo for bar"
    );
    let listed = t.systemctl(&["list-units", "--no-legend", "foo@bar.service"]);
    assert!(
        listed.stdout.trim_end().ends_with(" Foo for bar"),
        "{listed:?}"
    );
    let journal = run_cmd(
        Command::new(applet("journalctl"))
            .arg(format!("--root={}", t.path().display()))
            .args(["-u", "foo@bar.service", "-o", "cat"]),
    );
    assert!(
        journal.stdout.contains("Starting Foo for bar...\n")
            && journal.stdout.contains("Started Foo for bar.\n"),
        "{journal:?}"
    );
}
