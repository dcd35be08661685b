// Entry point (zoneless): with a token, the notification service is configured and the app
// connects; without one, the root shows the dev login box.
import { provideZonelessChangeDetection } from "@angular/core";
import { bootstrapApplication } from "@angular/platform-browser";
import { provideNotifications } from "@ghostpay/notifications/angular";
import { AppComponent } from "./app";
import { serverUrl, token } from "./config";

const userToken = token;
bootstrapApplication(AppComponent, {
  providers: [
    provideZonelessChangeDetection(),
    ...(userToken ? [provideNotifications({ url: serverUrl, getToken: () => userToken })] : []),
  ],
}).catch((err) => console.error(err));
