// Checks the island makes before calling the server, mirroring the server's
// rules (app/src/server/auth.rs) so mistakes are explained without a round
// trip. The server still decides; these only save a request.

export function validate(intent, username, password) {
  if (username.trim() === "") {
    return { field: "username", message: "Enter your username." };
  }
  if (password === "") {
    return { field: "password", message: "Enter your password." };
  }
  if (intent !== "register") {
    return null;
  }
  if (username.length < 3 || username.length > 32) {
    return { field: "username", message: "Username must be 3 to 32 characters long." };
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(username)) {
    return { field: "username", message: "Username may only contain letters, digits, '_', '.' and '-'." };
  }
  if ([...password].length < 8) {
    return { field: "password", message: "Password is too short: use at least 8 characters." };
  }
  if ([...password].length > 128) {
    return { field: "password", message: "Password must be at most 128 characters long." };
  }
  return null;
}

// Turns the API's {"code","message","field"} into what the form shows.
export function describeError(error) {
  if (!error) {
    return { message: "Something went wrong. Please try again." };
  }
  return { field: error.field, message: error.message };
}
