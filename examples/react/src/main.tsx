// Entry point: the notification app once signed in, otherwise the dev login box. Signing in as
// another user from the header switches the provider's user without reloading the page.
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { App, Login } from "./App";
import { initialSession, rememberSession, type Session } from "./config";
import "./styles.css";

function Root() {
  const [session, setSession] = useState(initialSession);
  const signIn = (next: Session) => {
    rememberSession(next);
    setSession(next);
  };
  return session ? <App session={session} onSignIn={signIn} /> : <Login onSignIn={signIn} />;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
