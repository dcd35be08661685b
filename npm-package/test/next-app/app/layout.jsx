// No favicon request (it would 404 and show up as a console error in the test).
export const metadata = { title: "Next.js app using @ghostpay/notifications", icons: { icon: "data:," } };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
