/**
 * Angular adapter in a zone.js app: store updates reach subscribers inside Angular's zone (so
 * zone-based change detection sees them) and the view refreshes without manual detectChanges().
 * Its own file: zone.js patches the globals of the worker that loads it.
 */
import "zone.js";
import "@angular/compiler";
import { Component, NgZone, inject, provideZoneChangeDetection, type Type } from "@angular/core";
import { AsyncPipe } from "@angular/common";
import { TestBed } from "@angular/core/testing";
import { BrowserTestingModule, platformBrowserTesting } from "@angular/platform-browser/testing";
import { firstValueFrom, filter } from "rxjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NotificationService, provideNotifications } from "@ghostpay/notifications/angular";
import { newUserToken, notify, serverUrl } from "./dev-api.js";

const Badge = Component({
  selector: "app-badge",
  imports: [AsyncPipe],
  template: `<span data-testid="unread-count">{{ svc.unreadCount$ | async }}</span>`,
})(
  class {
    readonly svc = inject(NotificationService);
  },
) as Type<unknown>;

beforeAll(() => TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting()));
afterAll(() => TestBed.resetTestEnvironment());

describe("Angular adapter with zone.js", () => {
  it("emits inside the Angular zone and the view refreshes on its own", async () => {
    const token = await newUserToken("ng-zone");
    TestBed.configureTestingModule({
      providers: [provideZoneChangeDetection(), provideNotifications({ url: serverUrl(), getToken: () => token })],
    });
    const fixture = TestBed.createComponent(Badge);
    fixture.autoDetectChanges();
    const svc = TestBed.inject(NotificationService);
    const zones: boolean[] = [];
    svc.notification$.subscribe(() => zones.push(NgZone.isInAngularZone()));
    svc.unreadCount$.subscribe(() => zones.push(NgZone.isInAngularZone()));

    await firstValueFrom(svc.status$.pipe(filter((s) => s === "connected")));
    await notify(token, "zoned");
    const badge = () => (fixture.nativeElement as HTMLElement).querySelector('[data-testid="unread-count"]')?.textContent;
    await vi.waitFor(() => expect(badge()).toBe("1"), { timeout: 15_000 });
    // The first entry is BehaviorSubject's replay at subscribe time (test code, outside the zone).
    expect(zones.slice(1).length).toBeGreaterThan(0);
    expect(zones.slice(1).every(Boolean)).toBe(true);
    TestBed.resetTestingModule();
  });
});
