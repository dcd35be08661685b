/**
 * Angular adapter: NotificationService with provideNotifications(), against the real store and
 * server, under TestBed (zoneless): a JIT component for the view, then the observables. Decorators are applied as functions so no decorator transform is needed.
 */
import "@angular/compiler";
import {
  Component,
  inject,
  provideZonelessChangeDetection,
  type Type,
} from "@angular/core";
import { TestBed } from "@angular/core/testing";
import { BrowserTestingModule, platformBrowserTesting } from "@angular/platform-browser/testing";
import { firstValueFrom, filter } from "rxjs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { NotificationService, provideNotifications } from "@ghostpay/notifications/angular";
import { newUserToken, notify, serverUnreadCount, serverUrl } from "./dev-api.js";

const WAIT = { timeout: 15_000 };

const Bell = Component({
  selector: "app-bell",
  template: `
    <span data-testid="unread-count">{{ svc.unreadCount() }}</span>
    <span data-testid="connection-status" [attr.data-transport]="svc.transport()">{{ svc.status() }}</span>
    <button data-testid="mark-all-read" (click)="svc.markAllRead()">all</button>
    @for (n of svc.notifications(); track n.id) {
      <div data-testid="notification-item" [attr.data-id]="n.id" [attr.data-read]="n.isRead">{{ n.title }}</div>
    }
  `,
})(
  class {
    readonly svc = inject(NotificationService);
  },
) as Type<unknown>;

beforeAll(() => TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting()));
afterEach(() => TestBed.resetTestingModule());
afterAll(() => TestBed.resetTestEnvironment());

describe("Angular adapter", () => {
  it("shows the unread_count the server sends in data-testid=unread-count (zoneless)", async () => {
    const token = await newUserToken("ng");
    await notify(token, "a");
    await notify(token, "b");
    await notify(token, "c");
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideNotifications({ url: serverUrl(), getToken: () => token })],
    });
    const fixture = TestBed.createComponent(Bell);
    const el = fixture.nativeElement as HTMLElement;
    const text = (id: string) => el.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
    await fixture.whenStable();
    expect(text("connection-status")).toBe("idle");
    TestBed.inject(NotificationService).connect();
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(text("unread-count")).toBe("3");
      expect(el.querySelectorAll('[data-testid="notification-item"]')).toHaveLength(3);
    }, WAIT);

    (el.querySelector('[data-testid="mark-all-read"]') as HTMLButtonElement).click();
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(text("unread-count")).toBe("0");
    }, WAIT);
    await vi.waitFor(async () => expect(await serverUnreadCount(token)).toBe(0), WAIT);
  });

  it("is providedIn root and exposes notifications$, unreadCount$, status$ and notification$", async () => {
    const token = await newUserToken("ng");
    // Only the config is provided: the service itself comes from `providedIn: 'root'`.
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideNotifications({ url: serverUrl(), getToken: () => token })],
    });
    const svc = TestBed.inject(NotificationService);
    expect(TestBed.inject(NotificationService)).toBe(svc);
    const connected = firstValueFrom(svc.status$.pipe(filter((s) => s === "connected")));
    svc.connect();
    await connected;
    const arrived = firstValueFrom(svc.notification$);
    const counted = firstValueFrom(svc.unreadCount$.pipe(filter((n) => n === 1)));
    const listed = firstValueFrom(svc.notifications$.pipe(filter((list) => list.length === 1)));
    const id = await notify(token, "rx");
    expect((await arrived).id).toBe(id);
    await counted;
    expect((await listed)[0]?.title).toBe("rx");

    svc.markRead(id);
    await firstValueFrom(svc.unreadCount$.pipe(filter((n) => n === 0)));
    await vi.waitFor(async () => expect(await serverUnreadCount(token)).toBe(0), WAIT);

    const stopped = firstValueFrom(svc.status$.pipe(filter((s) => s === "disconnected")));
    svc.disconnect();
    await stopped;
  });
});
