import { test } from "node:test";
import assert from "node:assert/strict";
import { describeError, validate } from "./validate.js";

test("login only needs both fields filled", () => {
  assert.equal(validate("login", "ab", "x"), null);
  assert.equal(validate("login", "", "x").field, "username");
  assert.equal(validate("login", "ann", "").field, "password");
});

test("register applies the server's rules", () => {
  assert.equal(validate("register", "ab", "password1").field, "username");
  assert.equal(validate("register", "ann smith", "password1").field, "username");
  assert.match(validate("register", "ann", "short").message, /too short/);
  assert.equal(validate("register", "ann", "x".repeat(129)).field, "password");
  assert.equal(validate("register", "ann.b-c_9", "password1"), null);
});

test("server errors keep their field and message", () => {
  const shown = describeError({ code: "username_taken", message: "That username is already taken." });
  assert.equal(shown.message, "That username is already taken.");
  assert.match(describeError(undefined).message, /went wrong/);
});
