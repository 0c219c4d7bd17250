//! Timers: real `.timer` units in `--root` trees whose supervisors sleep on timerfds and
//! start real services at the elapse (short spans, `AccuracySec=` small so each test stays
//! within a few seconds).

mod firing;
mod views;
