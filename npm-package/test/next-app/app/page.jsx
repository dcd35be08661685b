// Rendered on the server for every request (it reads the query), so server rendering imports
// @ghostpay/notifications/react through the client component below.
import { Notifications } from "./notifications";

export default async function Page({ searchParams }) {
  const { server = "http://127.0.0.1:3001" } = await searchParams;
  return <Notifications url={server} />;
}
