// Entry point: with a token, the app with the notification plugin (it connects on mount);
// without one, the dev login box.
import { createApp } from "vue";
import { NotificationPlugin } from "@ghostpay/notifications/vue";
import App from "./App.vue";
import Login from "./Login.vue";
import { serverUrl, token } from "./config";
import "./styles.css";

if (token !== null) {
  const userToken = token;
  const authService = { getToken: () => userToken };
  createApp(App).use(NotificationPlugin, { apiUrl: serverUrl, authService }).mount("#app");
} else {
  createApp(Login).mount("#app");
}
