//! `User=`, `Group=`, `SupplementaryGroups=` resolved against `/etc/passwd` and
//! `/etc/group` of the root, as systemd's `get_fixed_user()`, `get_fixed_group()` and
//! `get_supplementary_groups()` do; `DynamicUser=` allocates the user first
//! ([`resolve_dynamic_credentials`], see [`super::dynamic_user`]).

use super::dynamic_user::{self, Allocation, Registration};
use super::exit_status::code;
use crate::root::Root;
use crate::users::{Identity, UserDb};
use std::path::PathBuf;

/// The identity a process switches to. `None` fields are left as the supervisor has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// `User=`: the passwd entry (name, uid, home, shell).
    pub user: Option<UserEntry>,
    pub gid: Option<u32>,
    /// The complete supplementary group list, when it changes.
    pub groups: Option<Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEntry {
    pub name: String,
    pub uid: u32,
    pub home: PathBuf,
    pub shell: PathBuf,
}

impl Credentials {
    pub fn uid(&self) -> Option<u32> {
        self.user.as_ref().map(|u| u.uid)
    }
}

/// Looking up a user or group failed: the process exits with 217/USER or 216/GROUP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CredentialError {
    pub exit_code: i32,
    pub message: String,
}

/// Resolves the three settings. A number is accepted only when it has an entry, as
/// systemd 252 does for `User=`/`Group=` (no `USER_CREDS_ALLOW_MISSING`).
pub fn resolve_credentials(
    db: &UserDb,
    user: Option<&str>,
    group: Option<&str>,
    supplementary: &[String],
) -> Result<Credentials, CredentialError> {
    let entry = match user {
        None => None,
        Some(spec) => {
            let found = db
                .user_by_name(spec)
                .or_else(|| crate::users::parse_id(spec).and_then(|uid| db.user_by_uid(uid)));
            let Some(p) = found else {
                return Err(CredentialError {
                    exit_code: code::USER,
                    message: format!(
                        "Failed to determine user credentials: No such process ({spec})"
                    ),
                });
            };
            Some(p.clone())
        }
    };
    let lookup_group = |spec: &str| -> Result<u32, CredentialError> {
        db.group_by_name(spec)
            .map(|g| g.gid)
            .or_else(|| {
                crate::users::parse_id(spec).and_then(|gid| db.group_by_gid(gid).map(|g| g.gid))
            })
            .ok_or_else(|| CredentialError {
                exit_code: code::GROUP,
                message: format!("Failed to determine group credentials: No such process ({spec})"),
            })
    };
    let gid = match group {
        Some(spec) => Some(lookup_group(spec)?),
        None => entry.as_ref().map(|p| p.gid),
    };
    // initgroups(): the primary group plus every group listing the user, except for gid 0
    // (systemd skips NSS for root).
    let mut groups: Option<Vec<u32>> = match (&entry, gid) {
        (Some(p), Some(g)) if g != 0 => {
            let mut list = vec![g];
            for member in db.member_gids(&p.name) {
                if !list.contains(&member) {
                    list.push(member);
                }
            }
            Some(list)
        }
        _ => None,
    };
    if !supplementary.is_empty() {
        let list = groups.get_or_insert_with(Vec::new);
        for spec in supplementary {
            let g = lookup_group(spec)?;
            if !list.contains(&g) {
                list.push(g);
            }
        }
    }
    Ok(Credentials {
        user: entry.map(|p| UserEntry {
            name: p.name,
            uid: p.uid,
            home: p.home,
            shell: p.shell,
        }),
        gid,
        groups,
    })
}

/// `DynamicUser=yes`: the user is `User=` or derived from the unit name, the group
/// `Group=` or the user's name; a static user of that name is used as is, otherwise one
/// is allocated (or joined) and held by the returned [`Registration`] — keep it for as
/// long as the unit runs. The resolution itself then reads the entries like `User=`.
pub fn resolve_dynamic_credentials(
    root: &Root,
    unit: &str,
    user: Option<&str>,
    group: Option<&str>,
    supplementary: &[String],
) -> Result<(Credentials, Option<Registration>), CredentialError> {
    let name = user
        .map(str::to_string)
        .unwrap_or_else(|| dynamic_user::user_name_for_unit(unit));
    let group_name = group.unwrap_or(&name).to_string();
    let allocation =
        dynamic_user::allocate(root, unit, &name, &group_name).map_err(|e| CredentialError {
            exit_code: code::USER,
            message: format!("Failed to allocate dynamic user {name}: {e}"),
        })?;
    let registration = match allocation {
        Allocation::Static => None,
        Allocation::Dynamic(r) => Some(r),
    };
    let db = UserDb::load(root);
    let credentials = resolve_credentials(&db, Some(&name), Some(&group_name), supplementary)?;
    Ok((credentials, registration))
}

/// User mode: a manager that is not root cannot change its uid, so a unit whose `User=`
/// is the manager itself runs without any credential change (no `setgroups`, which needs
/// privileges, and no passwd entry required: OpenShift's arbitrary uids have none).
///
/// `Some(credentials)` when the manager (`manager`, not root) is asked to run a command as
/// itself: the user entry for `$USER`/`$HOME`/`$SHELL`, and no group change. `None` when
/// the manager is root or `User=` names someone else (then the normal resolution applies,
/// and fails for a non-root manager as it does in systemd).
pub fn credentials_for_self(
    db: &UserDb,
    manager: &Identity,
    user: Option<&str>,
    group: Option<&str>,
) -> Option<Credentials> {
    if manager.uid == 0 {
        return None;
    }
    let user = user?;
    if db.resolve_uid(user) != Some(manager.uid) {
        return None;
    }
    if group.is_some_and(|g| db.resolve_gid(g) != Some(manager.gid)) {
        return None;
    }
    Some(Credentials {
        user: Some(UserEntry {
            name: manager.name.clone(),
            uid: manager.uid,
            home: manager.home.clone(),
            shell: manager.shell.clone(),
        }),
        gid: None,
        groups: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;

    fn db() -> UserDb {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\nadm:x:4:app\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:\n",
        )
        .unwrap();
        UserDb::load(&Root::new(dir.path()))
    }

    #[test]
    fn user_brings_primary_and_member_groups() {
        let c = resolve_credentials(&db(), Some("app"), None, &[]).unwrap();
        assert_eq!(c.uid(), Some(1000));
        assert_eq!(c.gid, Some(1000));
        assert_eq!(c.groups, Some(vec![1000, 4]));
        assert_eq!(c.user.unwrap().home, PathBuf::from("/home/app"));
    }

    #[test]
    fn group_and_supplementary_groups() {
        let extra = vec!["extra".to_string(), "4".to_string()];
        let c = resolve_credentials(&db(), Some("nobody"), Some("adm"), &extra).unwrap();
        assert_eq!(c.gid, Some(4));
        assert_eq!(c.groups, Some(vec![4, 2000]));
        let c = resolve_credentials(&db(), None, None, &extra).unwrap();
        assert_eq!((c.gid, c.groups), (None, Some(vec![2000, 4])));
        let c = resolve_credentials(&db(), Some("root"), None, &[]).unwrap();
        assert_eq!((c.uid(), c.gid, c.groups), (Some(0), Some(0), None));
        let c = resolve_credentials(&db(), Some("65534"), None, &[]).unwrap();
        assert_eq!(c.user.unwrap().name, "nobody");
    }

    #[test]
    fn unknown_names_fail_with_systemd_exit_codes() {
        let e = resolve_credentials(&db(), Some("ghost"), None, &[]).unwrap_err();
        assert_eq!(e.exit_code, 217);
        let e = resolve_credentials(&db(), Some("4242"), None, &[]).unwrap_err();
        assert_eq!(e.exit_code, 217);
        let e = resolve_credentials(&db(), Some("app"), Some("ghosts"), &[]).unwrap_err();
        assert_eq!(e.exit_code, 216);
        let e = resolve_credentials(&db(), None, None, &["ghosts".into()]).unwrap_err();
        assert_eq!(e.exit_code, 216);
    }
}

#[cfg(test)]
mod user_mode_tests {
    use super::*;
    use crate::users::Passwd;

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
    fn self_needs_no_credential_change() {
        let db = db();
        let app = Identity::for_uid(&db, 1000, 1000, &|_| None);
        let c = credentials_for_self(&db, &app, Some("app"), None).unwrap();
        assert_eq!(c.user.as_ref().map(|u| u.uid), Some(1000));
        assert_eq!((c.gid, c.groups), (None, None));
        assert!(credentials_for_self(&db, &app, Some("1000"), None).is_some());
        assert!(credentials_for_self(&db, &app, Some("www"), None).is_none());
        assert!(credentials_for_self(&db, &app, Some("app"), Some("0")).is_none());
        assert!(credentials_for_self(&db, &app, None, None).is_none());
        let root = Identity::root_user();
        assert!(credentials_for_self(&db, &root, Some("root"), None).is_none());
    }

    #[test]
    fn an_uid_without_entry_runs_as_itself_by_number() {
        let db = db();
        let nobody = Identity::for_uid(&db, 1000770000, 0, &|_| None);
        let c = credentials_for_self(&db, &nobody, Some("1000770000"), None).unwrap();
        let user = c.user.unwrap();
        assert_eq!((user.name.as_str(), user.uid), ("1000770000", 1000770000));
        assert_eq!(user.home, std::path::Path::new("/"));
    }
}
