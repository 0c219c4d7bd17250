//! Every verb of systemd 252's `systemctl --help`, once each, with no unit where one is
//! needed: none is unknown, none hangs, one that refuses changes nothing and says so in one
//! line (plus 252's own `See system logs…` line for a refused job), and where 252 counts
//! too few arguments unitbox says the same.

mod edit;
mod environment;
mod isolate;

use crate::support::{applet, run_cmd, Tree, ORACLE};
use std::process::Command;

/// The verbs 252's help lists (read from the oracle, so none is forgotten).
fn verbs_of_252() -> Vec<String> {
    let help = run_cmd(Command::new(ORACLE).arg("--help"));
    let verbs: Vec<String> = help
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .map(str::to_string)
        .collect();
    assert!(verbs.len() > 60, "252's verb list: {verbs:?}");
    verbs
}

fn tree() -> Tree {
    let tree = Tree::new();
    tree.write(
        "/etc/systemd/system/a.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    );
    tree
}

#[test]
fn every_verb_of_252_answers() {
    let mut failures = Vec::new();
    for verb in verbs_of_252() {
        let tree = tree();
        let before = tree.snapshot();
        let ours = run_cmd(
            Command::new("timeout")
                .arg("30")
                .arg(applet("systemctl"))
                .arg(format!("--root={}", tree.path().display()))
                .arg(&verb),
        );
        let oracle = tree.copy().oracle(&[verb.as_str()]);
        let stderr = ours.stderr.trim_end();
        if ours.code == 124 {
            failures.push(format!("{verb}: hangs"));
        } else if stderr.contains("Unknown command verb") {
            failures.push(format!("{verb}: {stderr}"));
        } else if ours.code != 0 && tree.snapshot() != before {
            failures.push(format!("{verb}: refused ({stderr}) but changed the tree"));
        } else if ours.code != 0
            && stderr.lines().count() > 1
            && !stderr
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("See system logs"))
        {
            failures.push(format!("{verb}: refusal is not one line: {stderr:?}"));
        } else if oracle.stderr.trim_end() == "Too few arguments."
            && (stderr != "Too few arguments." || ours.code != oracle.code)
        {
            failures.push(format!(
                "{verb}: 252 counts too few arguments, unitbox answers {}: {stderr}",
                ours.code
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn unknown_verb_is_worded_as_252() {
    let tree = tree();
    let ours = tree.systemctl(&["frobnicate"]);
    let oracle = tree.oracle(&["frobnicate"]);
    assert_eq!(ours.stderr, "Unknown command verb frobnicate.\n");
    assert_eq!((ours.code, &ours.stderr), (oracle.code, &oracle.stderr));
}

#[test]
fn unknown_type_is_refused() {
    let tree = tree();
    let ours = tree.systemctl(&["list-units", "--type=foo"]);
    assert_eq!(ours.code, 1);
    assert_eq!(
        ours.stderr,
        "Unknown unit type or load state 'foo'.\nUse -t help to see a list of allowed values.\n"
    );
    // A load state is accepted for old scripts.
    tree.systemctl(&["list-units", "--type=masked"]).ok();
}

#[test]
fn reset_failed_of_an_unknown_unit_before_anything_ran() {
    let tree = tree();
    let ours = tree.systemctl(&["reset-failed", "nope.service"]);
    assert_eq!(ours.code, 1);
    assert_eq!(
        ours.stderr,
        "Failed to reset failed state of unit nope.service: Unit nope.service not loaded.\n"
    );
    tree.systemctl(&["reset-failed", "a.service"]).ok();
}

#[test]
fn machine_verbs_answer_as_252_in_a_container() {
    let tree = tree();
    let suspend = tree.systemctl(&["suspend"]);
    assert_eq!(suspend.code, 1);
    assert_eq!(
        suspend.stderr,
        "Call to Suspend failed: Sleep verb \"suspend\" not supported\n"
    );
    let jobs = tree.systemctl(&["list-jobs"]);
    assert_eq!(jobs.ok().stdout, "No jobs running.\n");
    let cancel = tree.systemctl(&["cancel", "99"]);
    assert_eq!(cancel.code, 1);
    assert_eq!(
        cancel.stderr,
        "Failed to cancel job 99: Job 99 does not exist.\n"
    );
    let bind = tree.systemctl(&["bind", "nope.service", "/x"]);
    assert_eq!(bind.code, 1);
    assert_eq!(
        bind.stderr,
        "Failed to bind mount: Unit nope.service not loaded.\n"
    );
    let automounts = tree.systemctl(&["list-automounts"]);
    assert_eq!(
        automounts.ok().stdout,
        "WHAT WHERE MOUNTED IDLE TIMEOUT UNIT\n\n0 automounts listed.\n\
         Pass --all to see loaded but inactive automounts, too.\n"
    );
}

#[test]
fn kill_with_nothing_to_kill_fails_only_with_job_mode_fail() {
    let lab = crate::lifecycle::Lab::new();
    lab.unit(
        "r.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    lab.ctl(&["start", "r.service"]).ok();
    assert_eq!(lab.ctl(&["kill", "r.service"]).code, 0);
    let fail = lab.ctl(&["kill", "--job-mode=fail", "r.service"]);
    assert_eq!(
        (fail.code, fail.stderr.as_str()),
        (
            1,
            "Failed to kill unit r.service: No matching processes to kill\n"
        )
    );
    let main = lab.ctl(&["kill", "--kill-whom=main", "r.service"]);
    assert_eq!(
        (main.code, main.stderr.as_str()),
        (
            1,
            "Failed to kill unit r.service: No main process to kill\n"
        )
    );
}
