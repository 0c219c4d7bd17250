//! Install-side verbs: enable, disable, reenable, mask, unmask, preset, preset-all,
//! set-default, is-enabled, list-unit-files, link. (stub: filled in by the install work item)

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult};

fn todo(verb: &str) -> CtlResult {
    Err(CtlError::failure(format!("{verb}: not implemented yet")))
}

pub fn enable(_ctx: &Ctx) -> CtlResult {
    todo("enable")
}
pub fn disable(_ctx: &Ctx) -> CtlResult {
    todo("disable")
}
pub fn reenable(_ctx: &Ctx) -> CtlResult {
    todo("reenable")
}
pub fn mask(_ctx: &Ctx) -> CtlResult {
    todo("mask")
}
pub fn unmask(_ctx: &Ctx) -> CtlResult {
    todo("unmask")
}
pub fn link(_ctx: &Ctx) -> CtlResult {
    todo("link")
}
pub fn preset(_ctx: &Ctx) -> CtlResult {
    todo("preset")
}
pub fn preset_all(_ctx: &Ctx) -> CtlResult {
    todo("preset-all")
}
pub fn set_default(_ctx: &Ctx) -> CtlResult {
    todo("set-default")
}
pub fn is_enabled(_ctx: &Ctx) -> CtlResult {
    todo("is-enabled")
}
pub fn list_unit_files(_ctx: &Ctx) -> CtlResult {
    todo("list-unit-files")
}
