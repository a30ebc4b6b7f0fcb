import Foundation

/// Short-lived tokens for an app that must not hold a long-lived key.
///
/// The app's own backend holds a key with the `tokens` scope, mints a token per session with
/// `POST /api/v1/tokens` (for example with `SecureOCRClient.createToken`) and hands it to the app,
/// which authenticates as `Authorization: Bearer <token>`. This provider keeps the current token
/// and asks `fetch` for a new one shortly before it expires, or when the API refused it.
public actor ShortLivedTokenProvider {
    public typealias Fetch = @Sendable () async throws -> CreatedToken

    private let fetch: Fetch
    private let refreshMargin: TimeInterval
    private var current: CreatedToken?
    private var refreshing: Task<CreatedToken, Error>?

    /// - Parameter refreshMargin: how long before `expiresAt` a token is replaced.
    public init(refreshMargin: TimeInterval = 30, fetch: @escaping Fetch) {
        self.refreshMargin = refreshMargin
        self.fetch = fetch
    }

    /// Tokens from the app's backend at `url`, which answers `{"token", "expiresAt"}` (the shape of
    /// `POST /api/v1/tokens`) to a `POST` authenticated however the app authenticates its users.
    public static func backend(
        _ url: URL,
        session: URLSession = .shared,
        authorize: @escaping @Sendable (inout URLRequest) async throws -> Void = { _ in }
    ) -> ShortLivedTokenProvider {
        ShortLivedTokenProvider {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            try await authorize(&request)
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
                throw SecureOCRError.invalidResponse(status: (response as? HTTPURLResponse)?.statusCode ?? 0)
            }
            return try JSONCoding.decoder.decode(CreatedToken.self, from: data)
        }
    }

    /// A token valid for at least `refreshMargin` more seconds; concurrent callers share one fetch.
    public func token() async throws -> String {
        if let current, current.expiresAt.timeIntervalSinceNow > refreshMargin {
            return current.token
        }
        if let refreshing {
            return try await refreshing.value.token
        }
        let task = Task { try await fetch() }
        refreshing = task
        defer { refreshing = nil }
        let fresh = try await task.value
        current = fresh
        return fresh.token
    }

    /// Forgets the current token (the API answered 401 to it): the next call fetches a new one.
    public func invalidate() {
        current = nil
    }
}
