//! The UID filter: which *system* units a user-mode manager (unitbox as PID 1 under a
//! non-root uid, or `--user` in such a container) may act on. One rule, one place:
//! a system unit passes when its `User=` resolves to the manager's uid, by name or by
//! number (uids without a passwd entry, as OpenShift assigns them, match by number).
//! Units without `User=` would run as root and never pass.

use crate::unit::Unit;
use crate::users::UserDb;

pub fn system_unit_allowed(unit: &Unit, db: &UserDb, manager_uid: u32) -> bool {
    match unit.settings.get("Service", "User") {
        Some(user) => db.resolve_uid(user) == Some(manager_uid),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::syntax;
    use crate::users::Passwd;
    use std::path::Path;

    fn unit(text: &str) -> Unit {
        let (entries, _) = syntax::parse(text, Path::new("/x.service"));
        Unit::loaded_with(crate::unit::UnitName::parse("x.service").unwrap(), entries)
    }

    fn db() -> UserDb {
        UserDb {
            users: vec![Passwd {
                name: "app".into(),
                uid: 1000,
                gid: 1000,
                home: "/home/app".into(),
                shell: "/bin/sh".into(),
            }],
            groups: Vec::new(),
        }
    }

    #[test]
    fn user_by_name_or_number_must_be_the_manager() {
        let db = db();
        assert!(system_unit_allowed(
            &unit("[Service]\nUser=app\n"),
            &db,
            1000
        ));
        assert!(system_unit_allowed(
            &unit("[Service]\nUser=1000\n"),
            &db,
            1000
        ));
        assert!(!system_unit_allowed(
            &unit("[Service]\nUser=app\n"),
            &db,
            1001
        ));
        assert!(!system_unit_allowed(
            &unit("[Service]\nUser=nosuch\n"),
            &db,
            1000
        ));
    }

    #[test]
    fn arbitrary_uid_without_passwd_entry_matches_by_number() {
        let db = db();
        let u = unit("[Service]\nUser=1000770000\n");
        assert!(system_unit_allowed(&u, &db, 1000770000));
        assert!(!system_unit_allowed(&u, &db, 1000));
    }

    #[test]
    fn units_without_user_run_as_root_and_never_pass() {
        let db = db();
        assert!(!system_unit_allowed(
            &unit("[Service]\nExecStart=/bin/true\n"),
            &db,
            1000
        ));
        assert!(!system_unit_allowed(&unit("[Service]\nUser=\n"), &db, 1000));
    }
}
