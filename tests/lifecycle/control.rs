//! `kill`, `clean`, and what a service runs as.

use super::{eventually, Lab};
use std::time::Duration;

#[test]
fn kill_sends_the_signal_to_the_service() {
    let lab = Lab::new();
    let out = lab.out("signals");
    lab.unit(
        "trap.service",
        &format!(
            "[Service]\nExecStart=/bin/sh -c 'trap \"echo usr1 >> {0}\" USR1; : > {0}.ready; while :; do sleep 0.05; done'\n",
            out.display()
        ),
    );
    lab.ctl(&["start", "trap.service"]).ok();
    // Type=simple is started at fork: wait until the shell has set its trap.
    let ready = std::path::PathBuf::from(format!("{}.ready", out.display()));
    assert!(eventually(Duration::from_secs(5), || ready.exists()));
    lab.ctl(&["kill", "-s", "SIGUSR1", "--kill-whom=main", "trap.service"])
        .ok();
    assert!(eventually(Duration::from_secs(5), || lab
        .read_out("signals")
        == "usr1\n"));
    lab.ctl(&["kill", "--signal=10", "trap.service"]).ok();
    assert!(eventually(Duration::from_secs(5), || lab
        .read_out("signals")
        == "usr1\nusr1\n"));

    let r = lab.ctl(&["kill", "-s", "NOPE", "trap.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "Failed to parse signal string NOPE.\n")
    );
    lab.ctl(&["kill", "-s", "KILL", "trap.service"]).ok();
    lab.wait_state("trap.service", "failed");
    assert_eq!(lab.prop("trap.service", "Result"), "signal");
}

#[test]
fn clean_removes_cache_and_runtime_of_a_stopped_service() {
    let lab = Lab::new();
    lab.unit(
        "c.service",
        "[Service]\nExecStart=/bin/sleep 1000\nCacheDirectory=cdir\nRuntimeDirectory=rdir\nStateDirectory=sdir\nRuntimeDirectoryPreserve=yes\n",
    );
    lab.ctl(&["start", "c.service"]).ok();
    let r = lab.ctl(&["clean", "c.service"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "Failed to clean unit c.service: Unit is not inactive or has pending job.\n"
        )
    );
    lab.ctl(&["stop", "c.service"]).ok();
    for d in ["/var/cache/cdir", "/run/rdir", "/var/lib/sdir"] {
        std::fs::create_dir_all(lab.tree.host(d)).unwrap();
    }
    lab.ctl(&["clean", "c.service"]).ok();
    assert!(!lab.tree.host("/var/cache/cdir").exists());
    assert!(!lab.tree.host("/run/rdir").exists());
    assert!(
        lab.tree.host("/var/lib/sdir").exists(),
        "state is kept by default"
    );
    lab.ctl(&["clean", "--what=all", "c.service"]).ok();
    assert!(!lab.tree.host("/var/lib/sdir").exists());
}

#[test]
fn services_drop_privileges_with_supplementary_groups() {
    let lab = Lab::new();
    lab.tree.write(
        "/etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    );
    lab.tree
        .write("/etc/group", "root:x:0:\nnogroup:x:65534:\nextra:x:4242:\n");
    let out = lab.out("id");
    lab.unit(
        "who.service",
        &format!(
            "[Service]\nType=oneshot\nUser=nobody\nSupplementaryGroups=extra\nExecStart=/bin/sh -c 'id -u > {o}; id -g >> {o}; id -G >> {o}'\n",
            o = out.display()
        ),
    );
    lab.ctl(&["start", "who.service"]).ok();
    let text = lab.read_out("id");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text:?}");
    assert_eq!(lines[0], "65534");
    assert_eq!(lines[1], "65534");
    let groups: Vec<&str> = lines[2].split_whitespace().collect();
    assert!(
        groups.contains(&"4242") && !groups.contains(&"0"),
        "{groups:?}"
    );
}
