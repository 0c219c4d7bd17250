//! Exec settings of systemd.exec(5) seen on real processes: what a started service has in
//! `/proc/self/status` (CapBnd, CapAmb, Cpus_allowed_list), `/proc/self/oom_score_adj`,
//! its I/O priority, and the exit codes when a setting cannot be applied. The expected
//! capability masks are what systemd 252 gave the same units (measured in a sandbox).

use crate::lifecycle::Lab;
use crate::support::{applet, run_cmd, Run};
use std::collections::BTreeMap;
use std::process::Command;

/// A oneshot that records its `/proc/self/status` capability and CPU lines and its OOM
/// score in `out/NAME`.
fn recorder(lab: &Lab, name: &str, settings: &str) {
    let out = lab.out(name);
    lab.unit(
        &format!("{name}.service"),
        &format!(
            "[Service]\nType=oneshot\n{settings}\nExecStart=/bin/sh -c 'grep -E \"^(Cap|Cpus_allowed_list)\" /proc/self/status > {o}; echo Oom: $(cat /proc/self/oom_score_adj) >> {o}'\n",
            o = out.display()
        ),
    );
}

fn recorded(lab: &Lab, name: &str) -> BTreeMap<String, String> {
    lab.read_out(name)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

fn own_status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{key}:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap()
}

fn start(lab: &Lab, name: &str) -> Run {
    lab.ctl(&["start", &format!("{name}.service")])
}

#[test]
fn a_non_root_service_keeps_its_ambient_capability_as_252() {
    let lab = Lab::new();
    recorder(
        &lab,
        "amb",
        "User=nobody\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n\
         CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN\nCapabilityBoundingSet=~CAP_CHOWN",
    );
    start(&lab, "amb").ok();
    let caps = recorded(&lab, "amb");
    for key in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(caps[key], "0000000000000400", "{key}: {caps:?}");
    }
}

#[test]
fn bounding_set_resets_inverts_and_leaves_ambient_caps_outside_it() {
    let lab = Lab::new();
    // 252: CapBnd 0x20 (CAP_KILL) and nothing else; the ambient capability is not in
    // the bounding set and is dropped; noroot gives root no capabilities at exec.
    recorder(
        &lab,
        "reset",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_SYS_ADMIN\n\
         CapabilityBoundingSet=\nCapabilityBoundingSet=CAP_KILL\nSecureBits=keep-caps noroot",
    );
    start(&lab, "reset").ok();
    let caps = recorded(&lab, "reset");
    assert_eq!(caps["CapBnd"], "0000000000000020", "{caps:?}");
    for key in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(caps[key], "0000000000000000", "{key}: {caps:?}");
    }
    // `~`: everything we have but CAP_SYS_ADMIN (21) and CAP_NET_RAW (13).
    recorder(
        &lab,
        "inv",
        "CapabilityBoundingSet=~CAP_SYS_ADMIN CAP_NET_RAW",
    );
    start(&lab, "inv").ok();
    let ours = u64::from_str_radix(&own_status("CapBnd"), 16).unwrap();
    let want = ours & !((1 << 21) | (1 << 13));
    let caps = recorded(&lab, "inv");
    assert_eq!(caps["CapBnd"], format!("{want:016x}"), "{caps:?}");
    assert_eq!(caps["CapEff"], format!("{want:016x}"), "{caps:?}");
    // The `+` prefix: no sandboxing, the full set.
    lab.unit(
        "plus.service",
        &format!(
            "[Service]\nType=oneshot\nCapabilityBoundingSet=CAP_KILL\nExecStart=+/bin/sh -c 'grep CapBnd /proc/self/status > {}'\n",
            lab.out("plus").display()
        ),
    );
    start(&lab, "plus").ok();
    assert_eq!(recorded(&lab, "plus")["CapBnd"], format!("{ours:016x}"));
}

#[test]
fn oom_score_adjust_is_set_and_a_refused_lowering_is_ignored_as_252() {
    let lab = Lab::new();
    recorder(&lab, "up", "OOMScoreAdjust=500");
    start(&lab, "up").ok();
    assert_eq!(recorded(&lab, "up")["Oom"], "500");
    let ours = std::fs::read_to_string("/proc/self/oom_score_adj").unwrap();
    let ours = ours.trim();
    // Lowering needs CAP_SYS_RESOURCE, which a container (this test's too) may lack.
    let resource = u64::from_str_radix(&own_status("CapEff"), 16).unwrap() & (1 << 24) != 0;
    recorder(&lab, "down", "OOMScoreAdjust=-500");
    start(&lab, "down").ok();
    assert_eq!(
        recorded(&lab, "down")["Oom"],
        if resource { "-500" } else { ours }
    );
    // A manager without CAP_SYS_RESOURCE (Docker's default set): the lowering is refused
    // by the kernel, 252 ignores that and the service runs with the inherited score.
    recorder(&lab, "refused", "OOMScoreAdjust=-900");
    let r = run_cmd(
        Command::new("setpriv")
            .arg("--bounding-set=-sys_resource")
            .arg(applet("systemctl"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(["start", "refused.service"]),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(recorded(&lab, "refused")["Oom"], ours);
}

/// The unit-file warnings of the new settings, against `systemd-analyze verify` (252's
/// loader): the same lines, and the settings left at their defaults.
#[test]
fn bad_values_warn_as_252_and_are_ignored() {
    let lab = Lab::new();
    let body =
        "[Service]\nType=oneshot\nExecStart=/bin/true\nOOMScoreAdjust=2000\nOOMScoreAdjust=abc\n\
                CPUAffinity=x\nCPUAffinity=3-1\nCPUAffinity=99999999\nIOSchedulingClass=bogus\n\
                IOSchedulingPriority=9\nCapabilityBoundingSet=CAP_BOGUS\nSecureBits=bogus\n";
    lab.unit("w.service", body);
    // `3-1` leaves an empty but allocated CPU set, which sched_setaffinity() refuses
    // (252 alike): the start fails with 215; the warnings are logged all the same.
    start(&lab, "w");
    let journal = run_cmd(
        Command::new(applet("journalctl"))
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(["-u", "w.service", "-o", "cat"]),
    );
    let verify = run_cmd(
        Command::new("systemd-analyze")
            .arg(format!("--root={}", lab.tree.path().display()))
            .args(["verify", "w.service"]),
    );
    let root = lab.tree.path().display().to_string();
    let theirs: Vec<String> = verify
        .stderr
        .lines()
        .filter(|l| {
            l.split_once("w.service:")
                .is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(|l| l.replace(&root, ""))
        .collect();
    assert_eq!(theirs.len(), 7, "{verify:?}");
    for line in &theirs {
        assert!(
            journal.stdout.lines().any(|l| l == line),
            "missing {line:?}:\n{}",
            journal.stdout
        );
    }
}

#[test]
fn cpu_affinity_merges_resets_and_fails_with_215() {
    let lab = Lab::new();
    recorder(&lab, "one", "CPUAffinity=1\nCPUAffinity=0");
    start(&lab, "one").ok();
    assert_eq!(recorded(&lab, "one")["Cpus_allowed_list"], "0-1");
    recorder(&lab, "zero", "CPUAffinity=0-1\nCPUAffinity=\nCPUAffinity=0");
    start(&lab, "zero").ok();
    assert_eq!(recorded(&lab, "zero")["Cpus_allowed_list"], "0");
    recorder(&lab, "reset", "CPUAffinity=0\nCPUAffinity=");
    start(&lab, "reset").ok();
    assert_eq!(
        recorded(&lab, "reset")["Cpus_allowed_list"],
        own_status("Cpus_allowed_list")
    );
    // Only CPUs the machine does not have: sched_setaffinity() fails, 215/CPUAFFINITY.
    recorder(&lab, "none", "CPUAffinity=4000");
    let r = start(&lab, "none");
    assert_ne!(r.code, 0, "{r:?}");
    let show = lab.ctl(&[
        "show",
        "-p",
        "ExecMainStatus",
        "-p",
        "Result",
        "none.service",
    ]);
    for line in ["Result=exit-code\n", "ExecMainStatus=215\n"] {
        assert!(show.stdout.contains(line), "{show:?}");
    }
}

#[test]
fn io_scheduling_class_and_priority_reach_the_process() {
    let lab = Lab::new();
    for (name, settings) in [
        ("idle", "IOSchedulingClass=idle"),
        (
            "be7",
            "IOSchedulingPriority=7\nIOSchedulingClass=best-effort",
        ),
        (
            "rt",
            "IOSchedulingClass=2\nIOSchedulingClass=realtime\nIOSchedulingPriority=3",
        ),
    ] {
        lab.unit(
            &format!("{name}.service"),
            &format!(
                "[Service]\nType=oneshot\n{settings}\nExecStart=/bin/sh -c 'ionice -p $$$$ > {}'\n",
                lab.out(name).display()
            ),
        );
        start(&lab, name).ok();
    }
    assert_eq!(lab.read_out("idle"), "idle\n");
    assert_eq!(lab.read_out("be7"), "best-effort: prio 7\n");
    assert_eq!(lab.read_out("rt"), "realtime: prio 3\n");
}
