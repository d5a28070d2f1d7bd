//! Memory under a login storm: the portal's resident memory before, at the peak of and after
//! `<logins>` concurrent logins, each from its own loopback address (so the per-IP limit lets every
//! one reach the password check) and for its own address (so does the per-account limit).
//!
//!     bench_login_storm <portal base URL> <portal pid> <logins>
//!
//! Reads VmRSS and VmHWM from /proc/<pid>/status; prints them in MB.

use std::time::Duration;

#[path = "common.rs"]
#[allow(dead_code)] // shared with the other benchmarks; this one needs only a few helpers
mod common;

use common::{Fallible, memory_mb, post_form};

#[tokio::main]
async fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, pid, logins] = args.as_slice() else {
        return Err("usage: bench_login_storm <base URL> <pid> <logins>".into());
    };
    let logins: u32 = logins.parse()?;
    let before = memory_mb(pid, "VmRSS:")?;
    let mut tasks = Vec::new();
    for i in 0..logins {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let source = std::net::Ipv4Addr::from(0x7f00_0000 + 2 + i);
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .local_address(std::net::IpAddr::V4(source))
                .build()?;
            let email = format!("sturm{i}.{}@example.de", std::process::id());
            let fields = [("email", email.as_str()), ("password", "kein gutes Passwort")];
            post_form(&client, &base, "/anmelden", &fields)
                .await
                .map(|(status, _)| status)
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        let status = task.await?.unwrap_or(0);
        *statuses.entry(status).or_insert(0) += 1;
    }
    let right_after = memory_mb(pid, "VmRSS:")?;
    let peak = memory_mb(pid, "VmHWM:")?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let settled = memory_mb(pid, "VmRSS:")?;
    println!("{logins} concurrent logins, answers by status: {statuses:?}");
    println!(
        "RSS before {before:.1} MB, peak {peak:.1} MB, right after {right_after:.1} MB, 5 s later {settled:.1} MB"
    );
    Ok(())
}
