//! The wasm-bindgen boundary with the React login island (`island/login.jsx`).
//!
//! Rust passes in: the element to render into and a callback. JavaScript
//! exposes `window.ChatIsland.mountLogin(element, onLogin) -> unmount`, and
//! calls `onLogin(userJson)` with the `User` wire type as a JSON string once
//! the server has answered a login or registration and set the session
//! cookie. The bundle is loaded on first use, so pages without the form never
//! download React.

use leptos::prelude::*;

use crate::model::User;

/// Where the esbuild bundle is served (from `public/island/`).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const BUNDLE_SRC: &str = "/island/login.js";

#[component]
pub fn LoginIsland(on_login: impl Fn(User) + Clone + 'static) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        let mounted = StoredValue::new_local(None::<browser::Mounted>);
        Effect::new(move |_| {
            if let Some(element) = host.get() {
                mounted.set_value(Some(browser::mount(element.into(), on_login.clone())));
            }
        });
        on_cleanup(move || {
            if let Some(mounted) = mounted.try_update_value(Option::take).flatten() {
                mounted.unmount();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = on_login;
    view! {
        <div node_ref=host id="login-island" class="min-h-56">
            <p class="text-sm text-slate-600" role="status">"Loading the login form…"</p>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use super::BUNDLE_SRC;
    use crate::model::User;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ChatIsland, js_name = mountLogin)]
        fn mount_login(
            element: &web_sys::HtmlElement,
            on_login: &js_sys::Function,
        ) -> js_sys::Function;
    }

    /// A mounted island; unmounting also releases the callback.
    pub struct Mounted {
        unmount: Rc<RefCell<Option<js_sys::Function>>>,
        _on_login: Rc<Closure<dyn Fn(String)>>,
        _on_load: Option<Closure<dyn Fn()>>,
    }

    impl Mounted {
        pub fn unmount(self) {
            if let Some(unmount) = self.unmount.borrow_mut().take() {
                let _ = unmount.call0(&JsValue::NULL);
            }
        }
    }

    fn bundle_loaded() -> bool {
        js_sys::Reflect::get(&leptos::prelude::window(), &"ChatIsland".into())
            .is_ok_and(|v| !v.is_undefined())
    }

    pub fn mount(element: web_sys::HtmlElement, on_login: impl Fn(User) + 'static) -> Mounted {
        let on_login =
            Rc::new(Closure::<dyn Fn(String)>::new(
                move |json: String| match serde_json::from_str::<User>(&json) {
                    Ok(user) => on_login(user),
                    Err(e) => leptos::logging::error!("island sent an unexpected user: {e}"),
                },
            ));
        let unmount = Rc::new(RefCell::new(None));
        let render = {
            let (on_login, unmount) = (on_login.clone(), unmount.clone());
            move || {
                let callback: &js_sys::Function = (*on_login).as_ref().unchecked_ref();
                *unmount.borrow_mut() = Some(mount_login(&element, callback));
            }
        };
        if bundle_loaded() {
            render();
            return Mounted {
                unmount,
                _on_login: on_login,
                _on_load: None,
            };
        }
        let on_load = Closure::<dyn Fn()>::new(render);
        let document = leptos::prelude::document();
        if let Ok(script) = document.create_element("script") {
            let script: web_sys::HtmlScriptElement = script.unchecked_into();
            script.set_src(BUNDLE_SRC);
            script.set_onload(Some(on_load.as_ref().unchecked_ref()));
            if let Some(head) = document.head() {
                let _ = head.append_child(&script);
            }
        }
        Mounted {
            unmount,
            _on_login: on_login,
            _on_load: Some(on_load),
        }
    }
}
