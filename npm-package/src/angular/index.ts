/**
 * `@ghostpay/notifications/angular`: `provideNotifications(options)` provides
 * `NotificationService` over one `NotificationClient` (or the existing `client` it is given): it
 * connects when the injector is created and is destroyed with it. State comes as signals and as
 * RxJS observables. Store updates re-enter Angular's zone so zone.js apps refresh; zoneless apps
 * work too (signals schedule their own change detection). Public Angular APIs only (19–21).
 *
 * ```ts
 * bootstrapApplication(App, { providers: [provideNotifications({ url, getToken })] });
 * ```
 */
import {
  DestroyRef,
  InjectionToken,
  NgZone,
  computed,
  effect,
  inject,
  isSignal,
  makeEnvironmentProviders,
  provideEnvironmentInitializer,
  signal,
  untracked,
  type EnvironmentProviders,
  type Signal,
} from "@angular/core";
import { BehaviorSubject, Subject, distinctUntilChanged, map, type Observable } from "rxjs";
import { actionsOf, adapterClient, startAdapterClient, type DefaultData, type NotificationsOptions } from "../adapter.js";
import type { NotificationClient } from "../client.js";
import type { Notification, NotificationState } from "../types.js";

export type { NotificationActions, NotificationsOptions } from "../adapter.js";
export type { Notification, NotificationState, Status } from "../types.js";

type WithUserKey<T> = T extends unknown
  ? Omit<T, "userKey"> & { readonly userKey?: string | Signal<string | undefined> }
  : never;

/** The client's options (or `client`); `userKey` may be a signal: a new key switches the user. */
export type NotificationsConfig<TData = DefaultData> = WithUserKey<NotificationsOptions<TData>>;

export const NOTIFICATIONS_CONFIG = new InjectionToken<NotificationsConfig>("NOTIFICATIONS_CONFIG");

/** Provides `NotificationService` in this environment injector and connects it when it is created. */
export function provideNotifications<TData = DefaultData>(config: NotificationsConfig<TData>): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: NOTIFICATIONS_CONFIG, useValue: config },
    { provide: NotificationService, useFactory: () => new NotificationService() },
    provideEnvironmentInitializer(() => void inject(NotificationService)),
  ]);
}

export class NotificationService<TData = DefaultData> {
  readonly #zone = inject(NgZone);
  readonly #config = inject(NOTIFICATIONS_CONFIG) as NotificationsConfig<TData>;
  // Created and connected outside the zone so the core's sockets and timers don't trigger change
  // detection; only real state changes re-enter it (below).
  readonly #adapter = this.#zone.runOutsideAngular(() =>
    adapterClient<TData>({ ...this.#config, userKey: this.#initialUserKey() } as NotificationsOptions<TData>),
  );
  /** The underlying client, for anything the service doesn't wrap. */
  readonly client: NotificationClient<TData> = this.#adapter.client;
  readonly #state = signal(this.client.getSnapshot());
  readonly #state$ = new BehaviorSubject(this.client.getSnapshot());
  readonly #arrived$ = new Subject<Notification<TData>>();

  /** The whole store state, and each field, as signals. */
  readonly state: Signal<NotificationState<TData>> = this.#state.asReadonly();
  readonly notifications = computed(() => this.#state().notifications);
  readonly unreadCount = computed(() => this.#state().unreadCount);
  readonly unseenCount = computed(() => this.#state().unseenCount);
  readonly status = computed(() => this.#state().status);
  readonly transport = computed(() => this.#state().transport);
  readonly lastError = computed(() => this.#state().lastError);
  readonly hasMore = computed(() => this.#state().hasMore);

  readonly notifications$ = this.#select((s) => s.notifications);
  readonly unreadCount$ = this.#select((s) => s.unreadCount);
  readonly unseenCount$ = this.#select((s) => s.unseenCount);
  readonly status$ = this.#select((s) => s.status);
  /** Each new notification once (for toasts). */
  readonly notification$: Observable<Notification<TData>> = this.#arrived$.asObservable();

  readonly #actions = actionsOf(this.client);
  /** The client's actions; each resolves once the server confirmed. */
  readonly markRead = this.#actions.markRead;
  readonly markUnread = this.#actions.markUnread;
  readonly markAllRead = this.#actions.markAllRead;
  readonly markSeen = this.#actions.markSeen;
  readonly markAllSeen = this.#actions.markAllSeen;
  readonly archive = this.#actions.archive;
  readonly unarchive = this.#actions.unarchive;
  readonly remove = this.#actions.remove;
  readonly loadMore = this.#actions.loadMore;
  readonly refresh = this.#actions.refresh;

  constructor() {
    const unsubscribe = this.client.subscribe(() =>
      this.#zone.run(() => {
        const next = this.client.getSnapshot();
        this.#state.set(next);
        this.#state$.next(next);
      }),
    );
    const offNotification = this.client.on("notification", (n) => this.#zone.run(() => this.#arrived$.next(n)));
    const userKey = this.#config.userKey;
    if (isSignal(userKey)) {
      let servedKey = untracked(userKey);
      effect(() => {
        const key = userKey();
        if (key !== servedKey) untracked(() => this.client.switchUser((servedKey = key)));
      });
    }
    const stop = this.#zone.runOutsideAngular(() => startAdapterClient(this.#adapter));
    inject(DestroyRef).onDestroy(() => {
      unsubscribe();
      offNotification();
      stop();
      this.#state$.complete();
      this.#arrived$.complete();
    });
  }

  #initialUserKey(): string | undefined {
    const { userKey } = this.#config;
    return isSignal(userKey) ? untracked(userKey) : userKey;
  }

  #select<T>(pick: (s: NotificationState<TData>) => T): Observable<T> {
    return this.#state$.pipe(map(pick), distinctUntilChanged());
  }
}
