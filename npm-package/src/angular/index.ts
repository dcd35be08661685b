/**
 * `@ghostpay/notifications/angular`: `NotificationService` (injectable, `providedIn: 'root'`)
 * over one `NotificationClient`, configured with `provideNotifications({ url, getToken })`.
 * State comes as RxJS observables (`notifications$`, `unreadCount$`, `status$`) and as signals.
 * Store updates are re-entered into Angular's zone so views refresh; zoneless apps work too
 * (signals and `markForCheck` schedule their own change detection).
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
  inject,
  makeEnvironmentProviders,
  signal,
  ɵɵdefineInjectable,
  type EnvironmentProviders,
  type Signal,
} from "@angular/core";
import { BehaviorSubject, Subject, distinctUntilChanged, map, type Observable } from "rxjs";
import { NotificationClient } from "../client.js";
import type { Notification, NotificationClientOptions, NotificationState } from "../types.js";

export type { Notification, NotificationState, Status } from "../types.js";

export type NotificationsConfig = NotificationClientOptions;

export const NOTIFICATIONS_CONFIG = new InjectionToken<NotificationsConfig>("NOTIFICATIONS_CONFIG");

/** Registers the server URL and token source for `NotificationService`. */
export function provideNotifications(config: NotificationsConfig): EnvironmentProviders {
  return makeEnvironmentProviders([{ provide: NOTIFICATIONS_CONFIG, useValue: config }]);
}

export class NotificationService {
  // What `@Injectable({ providedIn: 'root' })` compiles to. Written out so the package needs no
  // Angular compiler step and works in AOT and JIT apps alike.
  static ɵprov = ɵɵdefineInjectable({
    token: NotificationService,
    providedIn: "root",
    factory: () => new NotificationService(),
  });

  readonly #zone = inject(NgZone);
  // Created outside the zone so the core's sockets and timers don't trigger change detection;
  // only real state changes re-enter it (below).
  readonly #client = this.#zone.runOutsideAngular(
    () => new NotificationClient(inject(NOTIFICATIONS_CONFIG)),
  );
  readonly #state = signal(this.#client.getSnapshot());
  readonly #state$ = new BehaviorSubject(this.#client.getSnapshot());
  readonly #arrived$ = new Subject<Notification>();

  /** The whole store state, as a signal. */
  readonly state: Signal<NotificationState> = this.#state.asReadonly();
  readonly notifications = computed(() => this.#state().notifications);
  readonly unreadCount = computed(() => this.#state().unreadCount);
  readonly status = computed(() => this.#state().status);
  readonly transport = computed(() => this.#state().transport);

  readonly notifications$ = this.#select((s) => s.notifications);
  readonly unreadCount$ = this.#select((s) => s.unreadCount);
  readonly status$ = this.#select((s) => s.status);
  /** Each new notification once (for toasts). */
  readonly notification$: Observable<Notification> = this.#arrived$.asObservable();

  constructor() {
    const unsubscribe = this.#client.subscribe(() =>
      this.#zone.run(() => {
        const next = this.#client.getSnapshot();
        this.#state.set(next);
        this.#state$.next(next);
      }),
    );
    const offNotification = this.#client.on("notification", (n) =>
      this.#zone.run(() => this.#arrived$.next(n)),
    );
    inject(DestroyRef).onDestroy(() => {
      unsubscribe();
      offNotification();
      this.#client.destroy();
      this.#state$.complete();
      this.#arrived$.complete();
    });
  }

  connect(): void {
    this.#zone.runOutsideAngular(() => this.#client.connect());
  }

  disconnect(): void {
    this.#client.disconnect();
  }

  markRead(id: string): void {
    this.#client.markRead(id);
  }

  markAllRead(): void {
    this.#client.markAllRead();
  }

  remove(id: string): void {
    this.#client.remove(id);
  }

  loadMore(): void {
    this.#client.loadMore();
  }

  /** The underlying store, for anything the service doesn't wrap. */
  get client(): NotificationClient {
    return this.#client;
  }

  #select<T>(pick: (s: NotificationState) => T): Observable<T> {
    return this.#state$.pipe(map(pick), distinctUntilChanged());
  }
}
