use super::*;
use crate::root::Root;
use std::cell::RefCell;

fn setup_in(
    dir: &Path,
    env: &[(&str, &str)],
    run: impl FnOnce(&Setup) -> BootState,
) -> (BootState, Vec<String>) {
    let root = Root::new(dir);
    let lines = RefCell::new(Vec::new());
    let owned: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let log = |l: &str| lines.borrow_mut().push(l.to_string());
    let setup = Setup {
        root: &root,
        env: &env,
        in_container: true,
        log: &log,
    };
    let state = run(&setup);
    (state, lines.into_inner())
}

#[test]
fn ids_parse_as_sd_id128() {
    let hex = "0123456789abcdef0123456789ABCDEF";
    let low = "0123456789abcdef0123456789abcdef";
    assert_eq!(parse_plain_id128(hex.as_bytes()).as_deref(), Some(low));
    assert_eq!(
        parse_plain_id128(format!("{hex}\n").as_bytes()).as_deref(),
        Some(low)
    );
    assert_eq!(parse_plain_id128(format!("{hex}\n\n").as_bytes()), None);
    assert_eq!(parse_plain_id128(b"uninitialized\n"), None);
    assert_eq!(parse_plain_id128(b""), None);
    assert_eq!(
        crate::host::parse_id128("01234567-89ab-cdef-0123-456789abcdef").as_deref(),
        Some(low)
    );
    assert_eq!(crate::host::parse_id128(hex).as_deref(), Some(low));
    assert_eq!(
        crate::host::parse_id128("0123456789-ab-cdef-0123-456789abcdef"),
        None
    );
    assert_eq!(crate::host::parse_id128("xyz"), None);
}

#[test]
fn first_boot_is_a_missing_or_uninitialized_machine_id_not_an_empty_one() {
    let tmp = tempfile::tempdir().unwrap();
    let first = |content: Option<&str>| {
        let etc = tmp.path().join("etc/machine-id");
        let _ = std::fs::remove_file(&etc);
        if let Some(c) = content {
            std::fs::create_dir_all(etc.parent().unwrap()).unwrap();
            std::fs::write(&etc, c).unwrap();
        }
        let mut seen = false;
        setup_in(tmp.path(), &[], |s| {
            seen = s.detect_first_boot();
            BootState {
                first_boot: seen,
                machine_id: None,
            }
        });
        seen
    };
    assert!(first(None));
    assert!(first(Some("uninitialized\n")));
    assert!(!first(Some("")));
    assert!(!first(Some("0123456789abcdef0123456789abcdef\n")));
}

#[test]
fn an_empty_writable_machine_id_is_filled_and_the_container_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("etc")).unwrap();
    std::fs::write(tmp.path().join("etc/machine-id"), "").unwrap();
    std::fs::create_dir_all(tmp.path().join("var/lib/dbus")).unwrap();
    let dbus = "fedcba9876543210fedcba9876543210";
    std::fs::write(
        tmp.path().join("var/lib/dbus/machine-id"),
        format!("{dbus}\n"),
    )
    .unwrap();
    let (state, lines) = setup_in(tmp.path(), &[("container", "podman")], |s| s.run());
    assert_eq!(
        state,
        BootState {
            first_boot: false,
            machine_id: Some(dbus.into())
        }
    );
    assert_eq!(lines, ["Initializing machine ID from D-Bus machine ID."]);
    let etc = tmp.path().join("etc/machine-id");
    assert_eq!(std::fs::read_to_string(&etc).unwrap(), format!("{dbus}\n"));
    let container = tmp.path().join("run/systemd/container");
    assert_eq!(std::fs::read_to_string(&container).unwrap(), "podman\n");
    let mode = std::fs::metadata(&container).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o644);
    assert!(!tmp.path().join("run/systemd/first-boot").exists());
    // A second boot keeps the id and writes nothing about it.
    let (again, lines) = setup_in(tmp.path(), &[], |s| s.run());
    assert_eq!(again.machine_id.as_deref(), Some(dbus));
    assert!(lines.is_empty(), "{lines:?}");
}
