//! Memory under a flood of large form bodies from anonymous visitors: `<posts>` concurrent POSTs of
//! 1 MiB `a=&a=&…` to `<path>`, and the portal's resident memory before, at the peak and after.
//!
//!     bench_body_flood <portal base URL> <portal pid> <posts> <path>
//!
//! The answers are counted by status; a connection the portal closed while the body was still being
//! sent counts as status 0.

use std::time::Duration;

#[path = "common.rs"]
#[allow(dead_code)] // shared with the other benchmarks; this one needs only a few helpers
mod common;

use common::{Fallible, client, memory_mb};

const BODY_BYTES: usize = 1024 * 1024;

#[tokio::main]
async fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, pid, posts, path] = args.as_slice() else {
        return Err("usage: bench_body_flood <base URL> <pid> <posts> <path>".into());
    };
    let posts: usize = posts.parse()?;
    let body = "a=&".repeat(BODY_BYTES / 3);
    let client = client()?;
    let before = memory_mb(pid, "VmRSS:")?;
    let mut tasks = Vec::new();
    for _ in 0..posts {
        let request = client
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", base.as_str())
            .body(body.clone());
        tasks.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        *statuses.entry(task.await?).or_insert(0) += 1;
    }
    let peak = memory_mb(pid, "VmHWM:")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = memory_mb(pid, "VmRSS:")?;
    println!("{posts} concurrent 1 MiB posts to {path}, answers by status: {statuses:?}");
    println!("RSS before {before:.1} MB, peak {peak:.1} MB, 2 s later {settled:.1} MB");
    Ok(())
}
