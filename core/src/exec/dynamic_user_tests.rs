use super::*;

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n# a comment stays\napp:x:1000:1000::/home/app:/bin/sh\nweird line without newline";
const GROUP: &str = "root:x:0:\napp:x:1000:\n";

fn tree() -> (tempfile::TempDir, Root) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/passwd"), PASSWD).unwrap();
    std::fs::write(dir.path().join("etc/group"), GROUP).unwrap();
    let root = Root::new(dir.path());
    (dir, root)
}

fn read(dir: &tempfile::TempDir, f: &str) -> String {
    std::fs::read_to_string(dir.path().join(f)).unwrap()
}

fn dynamic(a: Allocation) -> Registration {
    match a {
        Allocation::Dynamic(r) => r,
        Allocation::Static => panic!("expected a dynamic user"),
    }
}

#[test]
fn names_follow_systemds_rules() {
    assert!(is_valid_user_name("c-tatze"));
    assert!(is_valid_user_name("_x"));
    assert!(!is_valid_user_name("1abc"));
    assert!(!is_valid_user_name("a.b"));
    assert!(!is_valid_user_name(&"x".repeat(32)));
    assert_eq!(user_name_for_unit("web.service"), "web");
    assert_eq!(user_name_for_unit("web@one.service"), "web");
    let hashed = user_name_for_unit("9lives.service");
    assert!(hashed.starts_with("_du") && hashed.len() == 19, "{hashed}");
}

#[test]
fn allocation_adds_marked_lines_and_release_restores_the_files_byte_for_byte() {
    let (dir, root) = tree();
    let reg = dynamic(allocate(&root, "web.service", "web", "web").unwrap());
    assert!((UID_MIN..=UID_MAX).contains(&reg.uid));
    let passwd = read(&dir, "etc/passwd");
    assert!(passwd.starts_with(PASSWD), "{passwd}");
    assert!(passwd.ends_with(&format!(
        "\nweb:x:{0}:{0}:unitbox dynamic user:/:/usr/sbin/nologin\n",
        reg.uid
    )));
    assert!(read(&dir, "etc/group").ends_with(&format!("web:unitbox dynamic user:{}:\n", reg.uid)));
    assert_eq!(UserDb::load(&root).resolve_uid("web"), Some(reg.uid));
    assert_eq!(live_uid(&root, "web"), Some(reg.uid));
    drop(reg);
    // The appended newline after the unterminated last line is all that remains.
    assert_eq!(read(&dir, "etc/passwd"), format!("{PASSWD}\n"));
    assert_eq!(read(&dir, "etc/group"), GROUP);
    assert_eq!(live_uid(&root, "web"), None);
}

#[test]
fn a_static_user_wins_and_same_names_share_one_uid() {
    let (_dir, root) = tree();
    assert!(matches!(
        allocate(&root, "app.service", "app", "app").unwrap(),
        Allocation::Static
    ));
    let a = dynamic(allocate(&root, "a.service", "shared", "shared").unwrap());
    let b = dynamic(allocate(&root, "b.service", "shared", "shared").unwrap());
    assert_eq!(a.uid, b.uid);
    drop(a);
    assert_eq!(live_uid(&root, "shared"), Some(b.uid));
    assert_eq!(UserDb::load(&root).resolve_uid("shared"), Some(b.uid));
    drop(b);
    assert_eq!(UserDb::load(&root).resolve_uid("shared"), None);
}

#[test]
fn different_units_get_different_uids_even_with_equal_hash_starts() {
    let (_dir, root) = tree();
    let regs: Vec<Registration> = (0..20)
        .map(|i| {
            dynamic(
                allocate(
                    &root,
                    &format!("u{i}.service"),
                    &format!("u{i}"),
                    &format!("u{i}"),
                )
                .unwrap(),
            )
        })
        .collect();
    let mut uids: Vec<u32> = regs.iter().map(|r| r.uid).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), 20);
}

#[test]
fn stale_lines_of_a_dead_holder_are_removed_and_nothing_else() {
    let (dir, root) = tree();
    let reg = dynamic(allocate(&root, "web.service", "web", "web").unwrap());
    // A crash: the lock goes away with the process, the files stay.
    let mut reg = reg;
    reg.held = None;
    std::mem::forget(reg);
    assert_eq!(live_uid(&root, "web"), None);
    assert!(read(&dir, "etc/passwd").contains("web:x:"));
    cleanup(&root).unwrap();
    assert_eq!(read(&dir, "etc/passwd"), format!("{PASSWD}\n"));
    assert_eq!(read(&dir, "etc/group"), GROUP);
    assert!(read_entries(&root.host_path(Path::new(REGISTRY))).is_empty());
}

#[test]
fn an_invalid_name_is_refused() {
    let (_dir, root) = tree();
    assert!(allocate(&root, "x.service", "a.b", "a.b").is_err());
}

#[test]
fn private_directories_with_relative_symlinks() {
    use super::super::dirs::DirectorySet;
    let (dir, root) = tree();
    let scope = Scope::new(
        crate::scope::ScopeKind::System,
        root,
        crate::users::Identity::root_user(),
        &|_| None,
    );
    let dirs = ExecDirectories {
        state: DirectorySet {
            paths: vec![PathBuf::from("capsules/tatze")],
            mode: 0o700,
        },
        ..Default::default()
    };
    prepare_private_directories(&dirs, &scope, (61200, 61200)).unwrap();
    let link = dir.path().join("var/lib/capsules/tatze");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("../private/capsules/tatze")
    );
    let real = std::fs::metadata(&link).unwrap();
    assert!(real.is_dir());
    assert_eq!((real.uid(), real.mode() & 0o7777), (61200, 0o700));
    let private = std::fs::metadata(dir.path().join("var/lib/private")).unwrap();
    assert_eq!((private.uid(), private.mode() & 0o7777), (0, 0o711));
    // Idempotent, and a later uid takes the directory over.
    prepare_private_directories(&dirs, &scope, (61300, 61300)).unwrap();
    assert_eq!(std::fs::metadata(&link).unwrap().uid(), 61300);
    let ctx = ExecContext {
        dynamic_user: true,
        directories: dirs,
        ..Default::default()
    };
    assert_eq!(
        clean_paths(&scope, &ctx, DirKind::State),
        [
            PathBuf::from("/var/lib/capsules/tatze"),
            PathBuf::from("/var/lib/private/capsules/tatze")
        ]
    );
}
