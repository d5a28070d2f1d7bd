//! A ZIP for the citizen to download, written to a spool file on a blocking thread and fed entry by
//! entry and chunk by chunk, so that its size does not become memory: the data export and a case's
//! documents.

use std::io::{Seek, Write};
use std::path::PathBuf;

use actix_files::NamedFile;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::attachments::Attachments;
use crate::error::AppError;

/// How an entry of the ZIP is kept: text compresses, scans and photos do not.
#[derive(Clone, Copy)]
pub enum Compression {
    Deflated,
    Stored,
}

enum Piece {
    Start(String, Compression),
    Bytes(Bytes),
}

/// A ZIP written to a spool file on a blocking thread, fed entry by entry and chunk by chunk.
pub struct SpooledZip {
    pieces: Option<tokio::sync::mpsc::Sender<Piece>>,
    writer: tokio::task::JoinHandle<anyhow::Result<std::fs::File>>,
    path: PathBuf,
}

impl SpooledZip {
    pub fn create(path: PathBuf) -> Self {
        let (pieces, mut received) = tokio::sync::mpsc::channel::<Piece>(4);
        let at = path.clone();
        let writer = tokio::task::spawn_blocking(move || {
            let mut zip = zip::ZipWriter::new(std::fs::File::create_new(&at)?);
            while let Some(piece) = received.blocking_recv() {
                match piece {
                    Piece::Start(name, compression) => {
                        let method = match compression {
                            Compression::Deflated => zip::CompressionMethod::Deflated,
                            Compression::Stored => zip::CompressionMethod::Stored,
                        };
                        let options = zip::write::SimpleFileOptions::default()
                            .compression_method(method)
                            .large_file(true);
                        zip.start_file(name, options)?;
                    }
                    Piece::Bytes(bytes) => zip.write_all(&bytes)?,
                }
            }
            let mut file = zip.finish()?;
            file.rewind()?;
            Ok(file)
        });
        Self {
            pieces: Some(pieces),
            writer,
            path,
        }
    }

    async fn send(&self, piece: Piece) -> anyhow::Result<()> {
        let pieces = self
            .pieces
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the ZIP is finished"))?;
        pieces
            .send(piece)
            .await
            .map_err(|_| anyhow::anyhow!("the ZIP writer stopped"))
    }

    async fn start(&self, name: &str, compression: Compression) -> anyhow::Result<()> {
        self.send(Piece::Start(name.to_owned(), compression)).await
    }

    async fn write(&self, bytes: Bytes) -> anyhow::Result<()> {
        self.send(Piece::Bytes(bytes)).await
    }

    pub async fn add(&self, name: &str, bytes: Bytes, compression: Compression) -> anyhow::Result<()> {
        self.start(name, compression).await?;
        self.write(bytes).await
    }

    /// A stored file as the entry `name`, streamed from the store as it is.
    pub async fn copy(&self, name: &str, attachments: &Attachments, storage_key: &str) -> anyhow::Result<()> {
        self.start(name, Compression::Stored).await?;
        let mut content = attachments.open(storage_key).await?;
        while let Some(chunk) = content.next().await {
            self.write(chunk.map_err(anyhow::Error::from)?).await?;
        }
        Ok(())
    }

    /// The finished ZIP as a download named `file_name`; the spool file is gone once it is read.
    pub async fn download(self, req: &HttpRequest, file_name: &str) -> Result<HttpResponse, AppError> {
        let (file, path) = self.finish().await?;
        let download = NamedFile::from_file(file, &path).map_err(anyhow::Error::from)?;
        // Open, the file is read to its end even without a name.
        let _ = std::fs::remove_file(&path);
        Ok(download
            .set_content_type("application/zip".parse().map_err(anyhow::Error::from)?)
            .set_content_disposition(ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(file_name.to_owned())],
            })
            .into_response(req))
    }

    /// The finished ZIP, open at its start, and its path.
    async fn finish(mut self) -> anyhow::Result<(std::fs::File, PathBuf)> {
        self.pieces = None;
        let written = self.writer.await?;
        if written.is_err() {
            let _ = std::fs::remove_file(&self.path);
        }
        Ok((written?, self.path))
    }
}
