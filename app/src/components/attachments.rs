//! Files in the timeline, and the image viewer.
//!
//! An image shows as its thumbnail with its place reserved from the size
//! the server measured, so the timeline does not jump when it loads; a
//! click opens the viewer. Any other file is a card: its name, its size
//! and a download link (the server sends it as a download whatever it is).
//!
//! The viewer shows one image at a time, full size, with the room's other
//! images a key away (← and →); Escape or the close button ends it and
//! gives the focus back to what had it.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

use crate::limits::THUMBNAIL_SIDE;
use crate::model::{Upload, file_size};

/// The size a thumbnail is shown at: the image's shape, at most
/// [`THUMBNAIL_SIDE`] pixels a side (CSS may shrink it further).
fn shown_size(upload: &Upload) -> (u32, u32) {
    let (width, height) = (
        upload.width.unwrap_or(THUMBNAIL_SIDE).max(1),
        upload.height.unwrap_or(THUMBNAIL_SIDE).max(1),
    );
    let longest = width.max(height);
    if longest <= THUMBNAIL_SIDE {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(THUMBNAIL_SIDE)) / u64::from(longest)).max(1) as u32
    };
    (scale(width), scale(height))
}

#[component]
pub fn Attachments(
    attachments: Signal<Vec<Upload>>,
    /// Opens the viewer on this upload.
    view_image: Callback<String>,
) -> impl IntoView {
    view! {
        <Show when=move || attachments.with(|a| !a.is_empty())>
            <ul class="mt-1.5 flex flex-wrap gap-2" aria-label="Files">
                <For
                    each=move || attachments.get()
                    key=|upload| upload.id.clone()
                    children=move |upload| view! { <li class="max-w-full">{attachment(upload, view_image)}</li> }
                />
            </ul>
        </Show>
    }
}

fn attachment(upload: Upload, view_image: Callback<String>) -> AnyView {
    match upload.thumbnail_url.clone() {
        Some(thumbnail) if upload.is_image() => {
            let (width, height) = shown_size(&upload);
            let label = format!("Open {} ({})", upload.name, file_size(upload.size.max(0) as u64));
            let id = upload.id.clone();
            view! {
                <button
                    type="button"
                    class="block overflow-hidden rounded-lg bg-black/5 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    aria-label=label
                    on:click=move |_| view_image.run(id.clone())
                >
                    <img
                        src=thumbnail
                        alt=upload.name.clone()
                        width=width
                        height=height
                        loading="lazy"
                        // The width and height give the box its shape before
                        // the image arrives (no style attribute: the CSP).
                        class="block h-auto max-h-72 w-auto max-w-full object-contain"
                    />
                </button>
            }
            .into_any()
        }
        _ => view! {
            <div class="flex max-w-full items-center gap-3 rounded-lg border border-slate-200 bg-surface px-3 py-2 text-slate-900">
                <svg aria-hidden="true" viewBox="0 0 24 24" class="h-7 w-7 shrink-0 text-slate-500" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round">
                    <path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z" />
                    <path d="M14 2v6h6M8 13h8M8 17h5" />
                </svg>
                <div class="min-w-0">
                    <p class="truncate text-sm font-medium" title=upload.name.clone()>{upload.name.clone()}</p>
                    <p class="text-xs text-slate-600">{file_size(upload.size.max(0) as u64)}</p>
                </div>
                <a
                    href=upload.url.clone()
                    download=upload.name.clone()
                    class="rounded-md px-2 py-1 text-sm font-semibold text-indigo-700 hover:bg-indigo-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    aria-label=format!("Download {}", upload.name)
                >
                    "Download"
                </a>
            </div>
        }
        .into_any(),
    }
}

/// The full-size viewer over the page while `open` names an image of
/// `images`.
#[component]
pub fn ImageViewer(images: Signal<Vec<Upload>>, open: RwSignal<Option<String>>) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Div>::new();
    // What had the focus when the viewer opened, to give it back. Only
    // ever set in the browser: a page rendered on the server may be
    // dropped on another thread, which a wrapped element must not be.
    let returns_to = StoredValue::new(None::<SendWrapper<web_sys::HtmlElement>>);
    let index = move || {
        let id = open.get()?;
        images.with(|all| all.iter().position(|image| image.id == id))
    };
    let current = move || index().and_then(|i| images.with(|all| all.get(i).cloned()));
    let step = move |by: isize| {
        let Some(i) = index() else { return };
        images.with_untracked(|all| {
            let next = (i as isize + by).rem_euclid(all.len().max(1) as isize) as usize;
            if let Some(image) = all.get(next) {
                open.set(Some(image.id.clone()));
            }
        });
    };
    let close = move || {
        open.set(None);
        if let Some(element) = returns_to.get_value() {
            let _ = element.focus();
        }
    };
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.with(Option::is_some);
        if is_open && was_open != Some(true) {
            let focused = document()
                .active_element()
                .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
                .map(SendWrapper::new);
            returns_to.set_value(focused);
            request_animation_frame(move || {
                if let Some(dialog) = dialog.get_untracked() {
                    let _ = dialog.focus();
                }
            });
        }
        is_open
    });
    view! {
        <Show when=move || current().is_some()>
            <div
                node_ref=dialog
                role="dialog"
                aria-modal="true"
                aria-label="Image viewer"
                tabindex="-1"
                class="fixed inset-0 z-50 flex flex-col items-center justify-center gap-3 bg-[#020617f2] p-4 focus:outline-none"
                on:keydown=move |ev| match ev.key().as_str() {
                    "Escape" => {
                        ev.prevent_default();
                        close();
                    }
                    "ArrowLeft" => step(-1),
                    "ArrowRight" => step(1),
                    // The dialog's own controls are all the focus may reach.
                    "Tab" => {
                        if let Some(dialog) = dialog.get_untracked() {
                            let controls = dialog.query_selector_all("button, a").ok();
                            let count = controls.as_ref().map_or(0, |c| c.length());
                            if count > 0 {
                                let active = document().active_element();
                                let at = (0..count).find(|&i| {
                                    controls.as_ref().and_then(|c| c.item(i)).map(|n| n.unchecked_into::<web_sys::Element>()) == active
                                });
                                let next = match (at, ev.shift_key()) {
                                    (Some(0) | None, true) => count - 1,
                                    (Some(i), true) => i - 1,
                                    (Some(i), false) if i + 1 < count => i + 1,
                                    _ => 0,
                                };
                                if let Some(node) = controls.and_then(|c| c.item(next)) {
                                    ev.prevent_default();
                                    let _ = node.unchecked_into::<web_sys::HtmlElement>().focus();
                                }
                            }
                        }
                    }
                    _ => {}
                }
                on:click=move |ev| {
                    // A click on the backdrop, not on the image or a control.
                    if ev.target() == ev.current_target() {
                        close();
                    }
                }
            >
                {move || current().map(|image| {
                    let count = images.with(Vec::len);
                    let position = index().map_or(0, |i| i + 1);
                    view! {
                        <img
                            src=image.url.clone()
                            alt=image.name.clone()
                            width=image.width
                            height=image.height
                            class="h-auto max-h-[80vh] max-w-full rounded object-contain"
                        />
                        <div class="flex flex-wrap items-center justify-center gap-2 text-sm text-white">
                            <p class="max-w-[60vw] truncate font-medium">{image.name.clone()}</p>
                            <p class="text-slate-300">{format!("{position} of {count}")}</p>
                            <button type="button" class=VIEWER_BUTTON aria-label="Previous image" on:click=move |_| step(-1) disabled=move || count < 2>"←"</button>
                            <button type="button" class=VIEWER_BUTTON aria-label="Next image" on:click=move |_| step(1) disabled=move || count < 2>"→"</button>
                            <a class=VIEWER_BUTTON href=image.url.clone() download=image.name.clone()>"Download"</a>
                            <button type="button" class=VIEWER_BUTTON aria-label="Close the viewer" on:click=move |_| close()>"×"</button>
                        </div>
                    }
                })}
            </div>
        </Show>
    }
}

const VIEWER_BUTTON: &str = "rounded-md bg-white/10 px-3 py-1.5 text-white hover:bg-white/20 focus:outline-none focus-visible:ring-2 focus-visible:ring-white disabled:opacity-40";

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u32, height: u32) -> Upload {
        Upload {
            id: "x".into(),
            name: "x.png".into(),
            size: 1,
            content_type: "image/png".into(),
            width: Some(width),
            height: Some(height),
            url: String::new(),
            thumbnail_url: None,
        }
    }

    #[test]
    fn thumbnails_keep_the_shape_within_the_side() {
        assert_eq!(shown_size(&image(1200, 800)), (400, 266));
        assert_eq!(shown_size(&image(300, 900)), (133, 400));
        assert_eq!(shown_size(&image(120, 80)), (120, 80));
        assert_eq!(shown_size(&image(100_000, 1)), (400, 1));
    }
}
