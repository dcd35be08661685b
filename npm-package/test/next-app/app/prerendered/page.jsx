// Prerendered by `next build` (static: it reads no request data), so the build itself renders
// @ghostpay/notifications/react on the server and fails if importing it touches a browser global.
import { Notifications } from "../notifications";

export default function Prerendered() {
  return <Notifications url="/" />;
}
