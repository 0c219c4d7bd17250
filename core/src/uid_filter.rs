//! The UID filter: which *system* units a user-mode manager (unitbox as PID 1 under a
//! non-root uid, or `--user` in such a container) may act on. One rule, one place:
//! a system unit passes when its `User=` resolves to the manager's uid (by name or by
//! number). Units without `User=` would run as root and never pass.

use crate::unit::Unit;
use crate::users::UserDb;

pub fn system_unit_allowed(unit: &Unit, db: &UserDb, manager_uid: u32) -> bool {
    match unit.settings.get("Service", "User") {
        Some(user) => db.resolve_uid(user) == Some(manager_uid),
        None => false,
    }
}
