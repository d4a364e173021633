// The login/register form: a small React island inside the Leptos app.
//
// Contract with Rust (app/src/island.rs): the bundle defines
// window.ChatIsland.mountLogin(element, onLogin) and returns an unmount
// function. The form talks to the REST API itself (/api/auth/login or
// /api/auth/register), which answers with the token and sets the HttpOnly
// session cookie; then onLogin(JSON.stringify(user)) hands the User wire
// type to Rust, which navigates without reloading the page.
import { useState } from "react";
import { createRoot } from "react-dom/client";
import { describeError, validate } from "./validate.js";

function LoginForm({ onLogin }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [pending, setPending] = useState(null);

  async function submit(event) {
    event.preventDefault();
    const intent = event.nativeEvent.submitter?.value === "register" ? "register" : "login";
    const problem = validate(intent, username, password);
    if (problem) {
      setError(problem);
      return;
    }
    setPending(intent);
    setError(null);
    try {
      const response = await fetch(`/api/auth/${intent}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ username, password }),
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        setError(describeError(body?.error));
        setPending(null);
        return;
      }
      onLogin(JSON.stringify(body.user));
    } catch {
      setError({ message: "Could not reach the server. Check your connection and try again." });
      setPending(null);
    }
  }

  const field = "w-full rounded-md border border-slate-300 px-3 py-2 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200";
  const invalid = (name) => (error?.field === name ? "true" : "false");
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4 rounded-xl bg-surface p-6 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-col gap-1">
        <label htmlFor="login-username" className="text-sm font-medium">Username</label>
        <input id="login-username" name="username" autoComplete="username" autoCapitalize="none"
          spellCheck="false" className={field} value={username} aria-invalid={invalid("username")}
          aria-describedby="login-error" onChange={(e) => setUsername(e.target.value)} />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor="login-password" className="text-sm font-medium">Password</label>
        <input id="login-password" name="password" type="password" autoComplete="current-password"
          className={field} value={password} aria-invalid={invalid("password")}
          aria-describedby="login-error" onChange={(e) => setPassword(e.target.value)} />
      </div>
      <p id="login-error" role="alert" className="min-h-5 text-sm text-red-700">{error?.message ?? ""}</p>
      <div className="flex flex-col gap-2 sm:flex-row">
        <button type="submit" name="intent" value="login" disabled={pending !== null}
          className="flex-1 whitespace-nowrap rounded-md bg-indigo-600 px-4 py-2 font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-60">
          {pending === "login" ? "Logging in…" : "Log in"}
        </button>
        <button type="submit" name="intent" value="register" disabled={pending !== null}
          className="flex-1 whitespace-nowrap rounded-md border border-slate-300 bg-surface px-4 py-2 font-semibold hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-60">
          {pending === "register" ? "Creating account…" : "Create account"}
        </button>
      </div>
    </form>
  );
}

window.ChatIsland = {
  mountLogin(element, onLogin) {
    const root = createRoot(element);
    root.render(<LoginForm onLogin={onLogin} />);
    return () => root.unmount();
  },
};
