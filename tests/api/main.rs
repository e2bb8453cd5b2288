//! Black-box tests of the whole gateway: the real application on port 0 against fresh
//! databases (see `helpers`). One test binary, so they share a build and run in parallel.

mod abuse;
mod audit;
mod auth;
mod authorization;
mod browser;
mod cli;
mod dadnameh;
mod dashboards;
mod districts;
mod eblagh;
mod enforcement;
mod events;
mod faults;
mod flow;
mod gis;
mod hardening;
mod health;
mod helpers;
mod holidays;
mod http_protocol;
mod live;
mod live_faults;
mod oidc;
mod parties;
mod request_moves;
mod requests;
mod reveals_nothing;
mod samples;
mod seed;
mod session;
mod subscriptions;
mod uploads;
mod urbanism;
mod verify;
mod worklist;
