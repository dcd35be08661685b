/**
 * Angular adapter: NotificationService with provideNotifications(), against the real store and
 * server, under TestBed (zoneless): a JIT component for the view, then the observables, the
 * lifecycle, an existing client and a user switch. Decorators are applied as functions so no
 * decorator transform is needed.
 */
import "@angular/compiler";
import { Component, computed, inject, provideZonelessChangeDetection, signal, type Type } from "@angular/core";
import { TestBed } from "@angular/core/testing";
import { BrowserTestingModule, platformBrowserTesting } from "@angular/platform-browser/testing";
import { firstValueFrom, filter } from "rxjs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { NotificationClient } from "@ghostpay/notifications";
import { NotificationService, provideNotifications } from "@ghostpay/notifications/angular";
import {
  ADAPTER_NAMES,
  newUser,
  newUserToken,
  notify,
  recordSockets,
  serverUnreadCount,
  serverUrl,
  settleActions,
  track,
} from "./dev-api.js";

const WAIT = { timeout: 15_000 };

const Bell = Component({
  selector: "app-bell",
  template: `
    <span data-testid="unread-count">{{ svc.unreadCount() }}</span>
    <span data-testid="connection-status" [attr.data-transport]="svc.transport()">{{ svc.status() }}</span>
    <button data-testid="mark-all-read" (click)="started(svc.markAllRead())">all</button>
    @for (n of svc.notifications(); track n.id) {
      <div data-testid="notification-item" [attr.data-id]="n.id" [attr.data-read]="n.isRead">{{ n.title }}</div>
    }
  `,
})(
  class {
    readonly svc = inject(NotificationService);
    readonly started = track;
  },
) as Type<unknown>;

beforeAll(() => TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting()));
afterEach(async () => {
  await settleActions();
  TestBed.resetTestingModule();
});
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

  it("exposes notifications$, unreadCount$, status$ and notification$", async () => {
    const token = await newUserToken("ng");
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideNotifications({ url: serverUrl(), getToken: () => token })],
    });
    const svc = TestBed.inject(NotificationService);
    expect(TestBed.inject(NotificationService)).toBe(svc);
    await firstValueFrom(svc.status$.pipe(filter((s) => s === "connected")));
    const arrived = firstValueFrom(svc.notification$);
    const counted = firstValueFrom(svc.unreadCount$.pipe(filter((n) => n === 1)));
    const listed = firstValueFrom(svc.notifications$.pipe(filter((list) => list.length === 1)));
    const id = await notify(token, "rx");
    expect((await arrived).id).toBe(id);
    await counted;
    expect((await listed)[0]?.title).toBe("rx");

    await svc.markRead(id);
    expect(await serverUnreadCount(token)).toBe(0);
    await firstValueFrom(svc.unreadCount$.pipe(filter((n) => n === 0)));
  });

  it("connects when the injector is created and disconnects when it is destroyed", async () => {
    const token = await newUserToken("ng-life");
    const { sockets, restore } = recordSockets();
    try {
      TestBed.configureTestingModule({
        providers: [provideZonelessChangeDetection(), provideNotifications({ url: serverUrl(), getToken: () => token })],
      });
      TestBed.inject(NotificationService); // creates the test injector; the initializer connected it
      await vi.waitFor(() => expect(sockets[0]?.readyState).toBe(WebSocket.OPEN), WAIT);
      expect(sockets).toHaveLength(1);
      TestBed.resetTestingModule();
      await vi.waitFor(() => expect(sockets[0]?.readyState).toBe(WebSocket.CLOSED), WAIT);
    } finally {
      restore();
    }
  });

  it("returns the same names as the other adapters, actions returning the client's promises", async () => {
    const token = await newUserToken("ng-names");
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideNotifications({ url: serverUrl(), getToken: () => token })],
    });
    const svc = TestBed.inject(NotificationService);
    for (const name of ADAPTER_NAMES) expect(svc).toHaveProperty(name);
    expect(svc.client).toBeInstanceOf(NotificationClient);
    await firstValueFrom(svc.status$.pipe(filter((s) => s === "connected")));
    await expect(svc.markAllRead()).resolves.toBeUndefined();
  });

  it("uses an existing client without connecting or destroying it", async () => {
    const token = await newUserToken("ng-borrowed");
    const client = new NotificationClient({ url: serverUrl(), getToken: () => token });
    try {
      TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), provideNotifications({ client })] });
      const svc = TestBed.inject(NotificationService);
      expect(svc.client).toBe(client);
      expect(svc.status()).toBe("idle");
      client.connect();
      await firstValueFrom(svc.status$.pipe(filter((s) => s === "connected")));
      TestBed.resetTestingModule();
      expect(client.getSnapshot().status).toBe("connected");
      await notify(token, "after the injector");
      await client.refresh(); // a destroyed client would reject
      await vi.waitFor(() => expect(client.getSnapshot().unreadCount).toBe(1), WAIT);
    } finally {
      client.destroy();
    }
  });

  it("a new userKey (a signal) clears the previous user's list, then shows the new user's", async () => {
    const a = await newUser("ng-a");
    const b = await newUser("ng-b");
    const aId = await notify(a.token, "for A");
    const bId = await notify(b.token, "for B");
    const user = signal(a);
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideNotifications({ url: serverUrl(), getToken: () => user().token, userKey: computed(() => user().userId) }),
      ],
    });
    const fixture = TestBed.createComponent(Bell);
    const el = fixture.nativeElement as HTMLElement;
    const shown = () => Array.from(el.querySelectorAll<HTMLElement>('[data-testid="notification-item"]'), (e) => e.dataset.id);
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(shown()).toEqual([aId]);
    }, WAIT);
    user.set(b);
    TestBed.tick(); // runs the effects and refreshes the view, as the next change detection would
    expect(shown()).toEqual([]);
    expect(TestBed.inject(NotificationService).notifications()).toEqual([]);
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(shown()).toEqual([bId]);
    }, WAIT);
  });
});
