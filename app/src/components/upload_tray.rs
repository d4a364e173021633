//! Files on their way to a message: each chosen, dropped or pasted file is
//! uploaded at once (`POST /api/uploads`), on its own request so that it
//! has its own progress bar and can be cancelled alone; the message is
//! sent with the ones that arrived.
//!
//! Uploads go by `XMLHttpRequest`, the one browser API that reports upload
//! progress.

use std::sync::Arc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::error::{AppError, ErrorBody, ErrorCode};
use crate::limits::MAX_ATTACHMENTS;
use crate::model::{Upload, file_size};

/// Where a staged file is.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    Uploading,
    Done(Upload),
    Failed(String),
}

/// One file in the tray.
#[derive(Clone)]
pub struct Staged {
    key: u64,
    pub name: String,
    pub size: u64,
    /// 0 to 1.
    pub progress: RwSignal<f64>,
    pub stage: RwSignal<Stage>,
    request: Arc<SendWrapper<Option<Sending>>>,
}

/// A file's request and the handlers it calls, which live as long as it.
struct Sending {
    xhr: web_sys::XmlHttpRequest,
    _progress: Closure<dyn FnMut(web_sys::ProgressEvent)>,
    _end: Closure<dyn FnMut()>,
}

/// The composer's files.
#[derive(Clone, Copy)]
pub struct Tray {
    items: RwSignal<Vec<Staged>>,
    next: StoredValue<u64>,
}

impl Default for Tray {
    fn default() -> Self {
        Self {
            items: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }
}

#[derive(serde::Deserialize)]
struct Uploaded {
    upload: Upload,
}

impl Tray {
    /// Starts uploading each file of `files` (a file input's, a drop's or
    /// a paste's), up to what one message may carry.
    pub fn add_all(&self, files: &web_sys::FileList) {
        for i in 0..files.length() {
            if self.items.with_untracked(Vec::len) >= MAX_ATTACHMENTS {
                break;
            }
            if let Some(file) = files.item(i) {
                self.add(file);
            }
        }
    }

    fn add(&self, file: web_sys::File) {
        let key = self.next.get_value();
        self.next.set_value(key + 1);
        let progress = RwSignal::new(0.0);
        let stage = RwSignal::new(Stage::Uploading);
        let request = start(&file, progress, stage);
        if request.is_none() {
            stage.set(Stage::Failed(
                "Your browser could not send this file.".into(),
            ));
        }
        self.items.update(|items| {
            items.push(Staged {
                key,
                name: file.name(),
                size: file.size() as u64,
                progress,
                stage,
                request: Arc::new(SendWrapper::new(request)),
            })
        });
    }

    /// Stops an upload (or forgets a finished one; the server deletes an
    /// upload never sent after a day).
    pub fn cancel(&self, key: u64) {
        self.items.update(|items| {
            if let Some(at) = items.iter().position(|item| item.key == key) {
                stop(&items.remove(at));
            }
        });
    }

    /// Stops every upload still on its way (the composer is going away).
    pub fn stop_all(&self) {
        let _ = self.items.try_update_untracked(|items| {
            for item in items.drain(..) {
                stop(&item);
            }
        });
    }

    pub fn is_empty(&self) -> bool {
        self.items.with(Vec::is_empty)
    }

    /// Whether a file is still on its way.
    pub fn uploading(&self) -> bool {
        self.items.with(|items| {
            items
                .iter()
                .any(|item| item.stage.get() == Stage::Uploading)
        })
    }

    /// The files that arrived, in the order they were added.
    pub fn ready(&self) -> Vec<Upload> {
        self.items.with_untracked(|items| {
            items
                .iter()
                .filter_map(|item| match item.stage.get_untracked() {
                    Stage::Done(upload) => Some(upload),
                    _ => None,
                })
                .collect()
        })
    }

    pub fn clear(&self) {
        self.items.set(Vec::new());
    }
}

/// Aborts an item's request if it is still on its way (before its
/// handlers are dropped with it: the abort calls them).
fn stop(item: &Staged) {
    if item.stage.try_get_untracked() == Some(Stage::Uploading)
        && let Some(sending) = (**item.request).as_ref()
    {
        let _ = sending.xhr.abort();
    }
}

/// Sends `file`, reporting into `progress` and `stage`; the request, to
/// cancel it, or `None` if the browser would not make one.
fn start(file: &web_sys::File, progress: RwSignal<f64>, stage: RwSignal<Stage>) -> Option<Sending> {
    let form = web_sys::FormData::new().ok()?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .ok()?;
    let request = web_sys::XmlHttpRequest::new().ok()?;
    request.open("POST", "/api/uploads").ok()?;
    request
        .set_request_header("Accept", "application/json")
        .ok()?;

    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
            if ev.length_computable() && ev.total() > 0.0 {
                let _ = progress.try_set(ev.loaded() / ev.total());
            }
        });
    request
        .upload()
        .ok()?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    let answered = request.clone();
    // Fires once, however the request ended; a cancelled one's item is
    // gone already.
    let on_end = Closure::<dyn FnMut()>::new(move || {
        let status = answered.status().unwrap_or(0);
        let text = answered.response_text().ok().flatten().unwrap_or_default();
        let outcome = match status {
            201 => serde_json::from_str::<Uploaded>(&text)
                .map(|uploaded| Stage::Done(uploaded.upload))
                .unwrap_or_else(|_| Stage::Failed("The server's answer could not be read.".into())),
            0 => Stage::Failed(
                AppError::new(
                    ErrorCode::NetworkError,
                    "Could not reach the server. Check your connection.",
                )
                .message,
            ),
            _ => Stage::Failed(
                serde_json::from_str::<ErrorBody>(&text)
                    .map(|body| body.error.message)
                    .unwrap_or_else(|_| format!("The upload failed ({status}).")),
            ),
        };
        let _ = progress.try_set(1.0);
        let _ = stage.try_set(outcome);
    });
    request.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    request.send_with_opt_form_data(Some(&form)).ok()?;
    Some(Sending {
        xhr: request,
        _progress: on_progress,
        _end: on_end,
    })
}

/// The tray under the composer: each file with its progress or its
/// error, and a button to cancel or remove it.
#[component]
pub fn UploadTray(tray: Tray) -> impl IntoView {
    view! {
        <Show when=move || !tray.is_empty()>
            <ul class="flex flex-wrap gap-2" aria-label="Files to send">
                <For
                    each=move || tray.items.get()
                    key=|item| item.key
                    children=move |item| {
                        let key = item.key;
                        let (stage, progress) = (item.stage, item.progress);
                        let name = item.name.clone();
                        let label = move || match stage.get() {
                            Stage::Uploading => format!("Cancel uploading {name}"),
                            _ => format!("Remove {name}"),
                        };
                        view! {
                            <li class="flex w-56 max-w-full flex-col gap-1 rounded-lg border border-slate-200 bg-surface px-2 py-1.5 text-xs">
                                <div class="flex items-center gap-2">
                                    <span class="min-w-0 flex-1 truncate font-medium text-slate-800" title=item.name.clone()>{item.name.clone()}</span>
                                    <span class="shrink-0 text-slate-600">{file_size(item.size)}</span>
                                    <button
                                        type="button"
                                        class="shrink-0 rounded px-1 text-base leading-none text-slate-600 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                        aria-label=label
                                        on:click=move |_| tray.cancel(key)
                                    >"×"</button>
                                </div>
                                {move || match stage.get() {
                                    Stage::Uploading => view! {
                                        <progress
                                            class="h-1.5 w-full overflow-hidden rounded [&::-webkit-progress-bar]:bg-slate-200 [&::-webkit-progress-value]:bg-indigo-600"
                                            max="1"
                                            value=move || progress.get()
                                            aria-label=format!("Uploading {}", item.name)
                                        ></progress>
                                    }.into_any(),
                                    Stage::Done(_) => view! { <p class="text-emerald-700">"Ready to send"</p> }.into_any(),
                                    Stage::Failed(why) => view! { <p class="text-red-700" role="alert">{why}</p> }.into_any(),
                                }}
                            </li>
                        }
                    }
                />
            </ul>
        </Show>
    }
}
