//! `Storage=`: where the records of a `--root` image live, decided once a boot as 252
//! decides (`auto`: persistent when `/var/log/journal` exists), and what survives a
//! container restart (a fresh `/run`).

use super::journalctl;
use crate::lifecycle::Lab;

const ECHO: &str = "[Service]\nType=oneshot\nExecStart=/bin/echo hello-from-NAME\n";

/// Runs the oneshot `NAME.service` that prints `hello-from-NAME`.
fn run_echo(lab: &Lab, name: &str) {
    lab.unit(&format!("{name}.service"), &ECHO.replace("NAME", name));
    let run = lab.ctl(&["start", &format!("{name}.service")]);
    assert_eq!(run.code, 0, "{run:?}");
}

fn messages(lab: &Lab) -> Vec<String> {
    let run = journalctl(lab, &["-o", "cat", "-t", "echo"]);
    run.stdout.lines().map(str::to_string).collect()
}

/// A container restart: `/run` is a fresh tmpfs, everything else stays.
fn restart(lab: &Lab) {
    std::fs::remove_dir_all(lab.tree.host("/run")).unwrap();
}

#[test]
fn auto_is_persistent_when_var_log_journal_exists_and_survives_a_restart() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.tree.host("/var/log/journal")).unwrap();
    run_echo(&lab, "first");
    let persistent = lab
        .tree
        .host("/var/log/journal/unitbox/first.service.journal");
    assert!(persistent.is_file(), "no {}", persistent.display());
    restart(&lab);
    run_echo(&lab, "second");
    assert_eq!(messages(&lab), ["hello-from-first", "hello-from-second"]);
}

#[test]
fn auto_without_var_log_journal_and_volatile_forget_on_restart() {
    for (config, make_var_log_journal) in [(None, false), (Some("volatile"), true)] {
        let lab = Lab::new();
        if let Some(storage) = config {
            lab.tree.write(
                "/etc/systemd/journald.conf",
                &format!("[Journal]\nStorage={storage}\n"),
            );
        }
        if make_var_log_journal {
            std::fs::create_dir_all(lab.tree.host("/var/log/journal")).unwrap();
        }
        run_echo(&lab, "first");
        assert!(lab
            .tree
            .host("/run/unitbox/journal/first.service.journal")
            .is_file());
        assert!(!lab.tree.host("/var/log/journal/unitbox").exists());
        restart(&lab);
        run_echo(&lab, "second");
        assert_eq!(messages(&lab), ["hello-from-second"], "Storage={config:?}");
    }
}

#[test]
fn persistent_creates_the_directory_and_falls_back_when_it_cannot() {
    let lab = Lab::new();
    lab.tree.write(
        "/etc/systemd/journald.conf.d/p.conf",
        "[Journal]\nStorage=persistent\n",
    );
    run_echo(&lab, "first");
    assert!(lab
        .tree
        .host("/var/log/journal/unitbox/first.service.journal")
        .is_file());

    // /var/log is a file: no persistent place can be made; the records stay volatile.
    let lab = Lab::new();
    lab.tree
        .write(
            "/etc/systemd/journald.conf",
            "[Journal]\nStorage=persistent\n",
        )
        .write("/var/log", "not a directory\n");
    run_echo(&lab, "first");
    assert!(lab
        .tree
        .host("/run/unitbox/journal/first.service.journal")
        .is_file());
    assert_eq!(messages(&lab), ["hello-from-first"]);
}

/// Archived files (`NAME.journal.1`) of `unit` made by rotating a small writer, stamped
/// `age_us` ago.
fn archive(lab: &Lab, unit: &str, age_us: u64) -> std::path::PathBuf {
    use unitbox_core::journal::record::{Source, Stream};
    let dir = lab.tree.host("/run/unitbox/journal");
    std::fs::create_dir_all(&dir).unwrap();
    let source = Source {
        boot_id: unitbox_core::state::boot::current_boot_id().to_string(),
        stream: Stream::Stdout,
        pid: 1,
        uid: None,
        unit: unit.into(),
        identifier: "old".into(),
        invocation_id: String::new(),
    };
    let at = unitbox_core::time::now_realtime_us() - age_us;
    let mut w = unitbox_core::journal::writer::JournalWriter::open_in(&dir, unit, 300).unwrap();
    for i in 0..20 {
        w.append_at(at + i, 1, &source, 6, b"an old record of some length")
            .unwrap();
    }
    let archived = dir.join(format!("{unit}.journal.1"));
    assert!(archived.is_file());
    archived
}

#[test]
fn journald_vacuums_by_max_retention_and_runtime_max_use() {
    const DAY: u64 = 86_400_000_000;
    let lab = Lab::new();
    lab.tree.write(
        "/etc/systemd/journald.conf",
        "[Journal]\nMaxRetentionSec=1week\n",
    );
    let old = archive(&lab, "old.service", 30 * DAY);
    let recent = archive(&lab, "recent.service", DAY);
    super::start_journald(&lab);
    let gone = crate::lifecycle::eventually(std::time::Duration::from_secs(5), || !old.exists());
    assert!(gone, "an archive older than MaxRetentionSec= is kept");
    assert!(recent.exists(), "a recent archive was deleted");
    assert!(lab
        .tree
        .host("/run/unitbox/journal/old.service.journal")
        .exists());
    lab.ctl(&["stop", "systemd-journald.service"]).ok();

    // RuntimeMaxUse=1: no archive fits; the live files stay.
    lab.tree
        .write("/etc/systemd/journald.conf", "[Journal]\nRuntimeMaxUse=1\n");
    super::start_journald(&lab);
    let gone = crate::lifecycle::eventually(std::time::Duration::from_secs(5), || !recent.exists());
    assert!(gone, "an archive beyond RuntimeMaxUse= is kept");
    assert!(lab
        .tree
        .host("/run/unitbox/journal/recent.service.journal")
        .exists());
    lab.ctl(&["stop", "systemd-journald.service"]).ok();
}
