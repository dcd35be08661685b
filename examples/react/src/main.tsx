// Entry point: the notification app once a token is known, otherwise the dev login box.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App, Login } from "./App";
import { token } from "./config";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>{token ? <App token={token} /> : <Login />}</StrictMode>,
);
