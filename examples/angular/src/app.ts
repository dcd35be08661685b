// The example app: header (a bell whose badge counts the unseen notifications, the unread count,
// connection indicator); the bell opens the list (which marks everything seen), where unread
// items stand out and each can be marked read or archived; a toast for each new notification.
// All from NotificationService (which connects when the app starts and disconnects when it is
// destroyed).
import { Component, DestroyRef, inject, signal } from "@angular/core";
import { DatePipe } from "@angular/common";
import { NotificationService, type Notification } from "@ghostpay/notifications/angular";
import { devLogin, devNotify, serverUrl, token } from "./config";

@Component({
  selector: "app-notifications",
  imports: [DatePipe],
  template: `
    <header>
      <h1>GhostPay</h1>
      <span [class]="'status status-' + svc.status()" data-testid="connection-status" [attr.data-transport]="svc.transport() ?? ''">{{ svc.status() }}</span>
      @if (svc.transport(); as transport) { <span class="transport">via {{ transport }}</span> }
      @if (svc.lastError(); as error) { <span class="error" data-testid="last-error">{{ error.message }}</span> }
      <button (click)="sendTest()">Send me a test notification</button>
      <button data-testid="mark-all-read" [disabled]="svc.unreadCount() === 0" (click)="run(svc.markAllRead())">
        Mark all as read (<span data-testid="unread-count">{{ svc.unreadCount() }}</span> unread)
      </button>
      @if (actionError(); as e) { <span class="error" role="alert">{{ e }}</span> }
      <button class="bell" data-testid="bell" [attr.aria-expanded]="open()" [attr.aria-label]="svc.unseenCount() + ' new notifications'" (click)="toggle()">
        🔔<span class="badge" data-testid="unseen-count">{{ svc.unseenCount() }}</span>
      </button>
    </header>

    @if (open() && svc.notifications().length === 0) {
      <p class="empty">No notifications yet.</p>
    } @else if (open()) {
      <main>
        <ul class="list">
          @for (n of svc.notifications(); track n.id) {
            <li [class]="n.isRead ? 'read' : 'unread'" data-testid="notification-item" [attr.data-id]="n.id" [attr.data-read]="n.isRead">
              <div>
                <strong>{{ n.title }}</strong>
                @if (n.message) { <p>{{ n.message }}</p> }
                <time [attr.datetime]="n.createdAt">{{ n.createdAt | date: 'medium' }}</time>
              </div>
              <div class="actions">
                @if (!n.isRead) {
                  <button data-testid="mark-read" (click)="run(svc.markRead(n.id))">Mark as read</button>
                }
                <button data-testid="archive" (click)="run(svc.archive(n.id))">Archive</button>
              </div>
            </li>
          }
        </ul>
        @if (svc.hasMore()) { <button (click)="run(svc.loadMore())">Load more</button> }
      </main>
    }

    @if (toast(); as t) {
      <div class="toast" data-testid="toast" role="status" (click)="toast.set(null)">
        <strong>{{ t.title }}</strong>
        @if (t.message) { <span>{{ t.message }}</span> }
      </div>
    }
  `,
})
export class NotificationsComponent {
  protected readonly svc = inject(NotificationService);
  protected readonly toast = signal<Notification | null>(null);
  /** An action's failure (it rolled back), shown until the next one. */
  protected readonly actionError = signal<string | null>(null);
  protected readonly open = signal(false);

  constructor() {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sub = this.svc.notification$.subscribe((n) => {
      this.toast.set(n);
      clearTimeout(timer);
      timer = setTimeout(() => this.toast.set(null), 5000);
    });
    inject(DestroyRef).onDestroy(() => {
      sub.unsubscribe();
      clearTimeout(timer);
    });
  }

  protected run(action: Promise<unknown>): void {
    this.actionError.set(null);
    action.catch((e: Error) => this.actionError.set(e.message));
  }

  /** Opening the list shows everything in it: all seen, as in the feeds users know. */
  protected toggle(): void {
    if (!this.open()) this.run(this.svc.markAllSeen());
    this.open.update((open) => !open);
  }

  protected sendTest(): void {
    void devNotify("Payment received");
  }
}

/** Dev-mode sign-in: any user id gets a token from the server's POST /dev/token. */
@Component({
  selector: "app-login",
  template: `
    <form class="login" (submit)="submit($event, userId.value)">
      <h1>GhostPay Notifications · Angular</h1>
      <p>Server: {{ serverUrl }} (dev mode)</p>
      <label>User id <input #userId name="userId" value="demo-user" /></label>
      <button type="submit">Sign in</button>
      @if (error(); as e) { <p class="error">{{ e }}</p> }
    </form>
  `,
})
export class LoginComponent {
  protected readonly serverUrl = serverUrl;
  protected readonly error = signal<string | null>(null);

  protected submit(event: Event, userId: string): void {
    event.preventDefault();
    devLogin(userId).catch((e: Error) => this.error.set(e.message));
  }
}

@Component({
  selector: "app-root",
  imports: [NotificationsComponent, LoginComponent],
  template: `@if (signedIn) { <app-notifications /> } @else { <app-login /> }`,
})
export class AppComponent {
  protected readonly signedIn = token !== null;
}
