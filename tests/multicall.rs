//! The multicall binary: dispatch on argv[0] and on the first argument, --list, --install.

use crate::support::*;
use std::process::Command;

#[test]
fn dispatches_on_argv0_and_first_argument() {
    let via_link = run_cmd(Command::new(applet("systemctl")).arg("--version"));
    let via_arg = run_cmd(Command::new(unitbox()).args(["systemctl", "--version"]));
    via_link.ok();
    assert!(
        via_link.stdout.starts_with("systemd 252 (unitbox "),
        "{via_link:?}"
    );
    assert_eq!(via_link, via_arg);
}

#[test]
fn list_prints_the_applets() {
    let out = run_cmd(Command::new(unitbox()).arg("--list"));
    out.ok();
    assert!(out.stdout.lines().any(|l| l == "systemctl"), "{out:?}");
}

#[test]
fn unknown_applet_is_a_clear_error() {
    let out = run_cmd(Command::new(unitbox()).arg("frobnicate"));
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("unknown applet 'frobnicate'"));
}

#[test]
fn install_makes_symlinks_and_refuses_to_clobber_files() {
    let dir = tempfile::tempdir().unwrap();
    let install = |extra: &[&str]| {
        run_cmd(
            Command::new(unitbox())
                .arg("--install")
                .arg(dir.path())
                .args(extra),
        )
    };
    install(&[]).ok();
    let link = dir.path().join("systemctl");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        unitbox().canonicalize().unwrap()
    );
    // Re-running replaces symlinks quietly.
    install(&[]).ok();
    // A regular file is kept unless --force.
    std::fs::remove_file(&link).unwrap();
    std::fs::write(&link, "precious").unwrap();
    let out = install(&[]);
    assert_eq!(out.code, 1);
    assert_eq!(std::fs::read_to_string(&link).unwrap(), "precious");
    install(&["--force"]).ok();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn bad_option_is_one_line_and_exit_1() {
    let out = run_cmd(Command::new(applet("systemctl")).arg("--frobnicate"));
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr.trim(),
        "systemctl: unrecognized option '--frobnicate'"
    );
}

#[test]
fn install_next_to_the_binary_makes_relative_links() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("unitbox");
    std::fs::copy(unitbox(), &copy).unwrap();
    run_cmd(Command::new(&copy).arg("--install").arg(dir.path())).ok();
    let link = dir.path().join("systemctl");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("unitbox")
    );
    let out = run_cmd(Command::new(&link).arg("--version"));
    out.ok();
    assert!(out.stdout.starts_with("systemd 252 (unitbox "), "{out:?}");
}
