//! Integration tests: they run the real `unitbox` binary (through symlinks named like the
//! applets) on real files and processes. One test binary, one module per area.

mod support;

mod analyze;
mod capsule;
mod e2e_logs;
mod exec;
mod generators;
mod init;
mod install;
mod journalctl;
mod journald;
mod lifecycle;
mod loading;
mod multicall;
mod notify;
mod paths;
mod readonly;
mod run;
mod sockets;
mod status;
mod supervisor;
mod timers;
mod tmpfiles;
mod verbs;
