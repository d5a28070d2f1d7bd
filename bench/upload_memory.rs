//! Memory of the portal while a citizen uploads evidence: a file of each given size (MB) is sent to
//! the Anwohnerparkausweis's vehicle step ("Hochladen", at most 10 MB a file), over a plain TCP
//! connection that writes the multipart body as it goes, so neither side holds the file. Samples the
//! portal's VmRSS every 5 ms; prints, per upload, RSS before, the peak during it, the answer and the
//! time taken. A file over the limit is refused with the step page (422), not a broken connection.
//!
//!     bench_upload_memory <portal base URL> <portal data dir> <portal pid> <MB>...

#[path = "common.rs"]
#[allow(dead_code)] // shared with the other benchmarks; this one needs only a few helpers
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Fallible, citizen_with_draft, client, csrf_token, memory_mb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main]
async fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, data_dir, pid, sizes @ ..] = args.as_slice() else {
        return Err("usage: bench_upload_memory <base URL> <data dir> <pid> <MB>...".into());
    };
    let client = client()?;
    let (cookie, draft) = citizen_with_draft(&client, base, data_dir, "anwohnerparkausweis").await?;
    let step = format!("{draft}/schritt/fahrzeug");
    let page = client
        .get(format!("{base}{step}"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let token = csrf_token(&page)?;
    println!(
        "{:<24} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "upload", "RSS MB", "peak MB", "growth", "answer", "seconds"
    );
    for mb in sizes {
        let bytes: u64 = mb.parse::<u64>()? * 1_000_000;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = memory_mb(pid, "VmRSS:")?;
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (done, pid) = (done.clone(), pid.clone());
            tokio::spawn(async move {
                let mut peak: f64 = 0.0;
                while !done.load(Ordering::Relaxed) {
                    peak = peak.max(memory_mb(&pid, "VmRSS:").unwrap_or_default());
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                peak
            })
        };
        let began = Instant::now();
        let status = upload(base, &step, &cookie, &token, bytes).await?;
        done.store(true, Ordering::Relaxed);
        let peak = sampler.await?;
        println!(
            "{:<24} {:>10.1} {:>10.1} {:>10.1} {:>8} {:>8.1}",
            format!("{mb} MB file"),
            before,
            peak,
            peak - before,
            status,
            began.elapsed().as_secs_f64()
        );
        if status == 303 {
            // Take it off again, so the next one has room.
            remove_all(&client, base, &step, &cookie, &token).await?;
        }
    }
    Ok(())
}

/// Posts the step with a PDF-looking file of `bytes` bytes, writing the body in 64 KiB pieces; the
/// answer's status.
async fn upload(base: &str, step: &str, cookie: &str, token: &str, bytes: u64) -> Fallible<u16> {
    let host = base.trim_start_matches("http://");
    let boundary = "benchgrenze";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"aktion\"\r\n\r\nhochladen:fahrzeugschein\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"fahrzeugschein\"; filename=\"scan.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() as u64 + bytes + tail.len() as u64;
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let request = format!(
        "POST {step} HTTP/1.1\r\nHost: {host}\r\nOrigin: {base}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    stream.write_all(head.as_bytes()).await?;
    let mut chunk = vec![b' '; 64 * 1024];
    chunk[..9].copy_from_slice(b"%PDF-1.4\n");
    let mut left = bytes;
    let mut first = true;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        stream.write_all(&chunk[..n]).await?;
        if first {
            chunk[..9].fill(b' ');
            first = false;
        }
        left -= n as u64;
    }
    stream.write_all(tail.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let status_line = String::from_utf8_lossy(&answer[..answer.len().min(20)]).into_owned();
    Ok(status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP answer: {status_line:?}"))?)
}

/// Removes the uploaded files of the step (their remove buttons).
async fn remove_all(client: &reqwest::Client, base: &str, step: &str, cookie: &str, token: &str) -> Fallible<()> {
    let page = client
        .get(format!("{base}{step}"))
        .header("cookie", cookie)
        .send()
        .await?
        .text()
        .await?;
    for value in page.split("value=\"datei-entfernen:").skip(1) {
        let id = value.split('"').next().unwrap_or_default();
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token.to_owned())
            .text("aktion", format!("datei-entfernen:{id}"));
        client
            .post(format!("{base}{step}"))
            .header("cookie", cookie)
            .header("origin", base)
            .multipart(form)
            .send()
            .await?;
    }
    Ok(())
}
