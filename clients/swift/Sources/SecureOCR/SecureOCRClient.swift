import Foundation
import Security

/// The endpoints this client calls, as `METHOD path` (checked against the OpenAPI document by the
/// gateway's test suite).
enum Route: String {
    case recognize = "POST /api/v1/ocr"
    case recognizeBatch = "POST /api/v1/ocr/batch"
    case usage = "GET /api/v1/usage"
    case createToken = "POST /api/v1/tokens"

    var method: String { String(rawValue.prefix { $0 != " " }) }
    var path: String { String(rawValue.drop { $0 != " " }.dropFirst()) }
}

/// A client of the Secure OCR API over `URLSession`.
///
/// ```swift
/// // A key the user entered, kept in the Keychain:
/// let client = try SecureOCRClient(baseURL: url, credential: .keychain(KeychainStore()))
/// // Or, in an app distributed to the public, tokens from the app's own backend:
/// let client = SecureOCRClient(baseURL: url, credential: .tokens(.backend(tokenURL)))
/// let result = try await client.recognize(imageData: jpeg, mode: .lines)
/// ```
public final class SecureOCRClient: Sendable {
    public enum Credential: Sendable {
        /// `ocr_<id>_<secret>`, sent as `X-API-Key`.
        case apiKey(String)
        /// Short-lived tokens, sent as `Authorization: Bearer`; one is fetched again after a 401.
        case tokens(ShortLivedTokenProvider)

        /// The key stored in `store`; throws when there is none.
        public static func keychain(_ store: KeychainStore) throws -> Credential {
            guard let key = try store.load() else { throw SecureOCRError.keychain(errSecItemNotFound) }
            return .apiKey(key)
        }
    }

    /// How image bytes travel: a multipart upload (smaller), or base64 inside JSON.
    public enum Upload: Sendable {
        case multipart
        case base64
    }

    public struct Configuration: Sendable {
        public var baseURL: URL
        /// Per attempt; the server's own OCR timeout is 60 s by default.
        public var timeout: TimeInterval = 70
        /// Retries after a 429 or a 503, never after another status.
        public var maxRetries = 2
        /// Backoff when an answer has no `Retry-After`, doubled on each retry.
        public var retryDelay: TimeInterval = 0.5
        /// A longer `Retry-After` (a used-up daily quota) is thrown at once.
        public var maxRetryDelay: TimeInterval = 30

        public init(baseURL: URL) {
            self.baseURL = baseURL
        }
    }

    public let configuration: Configuration
    private let credential: Credential
    private let session: URLSession

    public init(configuration: Configuration, credential: Credential, session: URLSession = .shared) {
        self.configuration = configuration
        self.credential = credential
        self.session = session
    }

    public convenience init(baseURL: URL, credential: Credential, session: URLSession = .shared) {
        self.init(configuration: Configuration(baseURL: baseURL), credential: credential, session: session)
    }

    // MARK: - Endpoints

    /// Reads one image given as bytes (JPEG, PNG, WebP, TIFF or GIF).
    public func recognize(
        imageData: Data,
        mode: OCRMode? = nil,
        upload: Upload = .multipart,
        filename: String = "image",
        contentType: String = "application/octet-stream"
    ) async throws -> OCRResult {
        switch upload {
        case .base64:
            return try await send(.recognize, json: OCRRequest(image: imageData.base64EncodedString(), mode: mode, prompt: nil))
        case .multipart:
            var form = MultipartForm()
            if let mode { form.append(field: UploadField.mode, value: mode.rawValue) }
            form.append(file: UploadField.image, filename: filename, contentType: contentType, data: imageData)
            return try await send(.recognize, body: form.finished(), contentType: form.contentType)
        }
    }

    /// Reads the image at an https URL (fetched by the server under its SSRF rules) or in a `data:` URI.
    public func recognize(imageReference: String, mode: OCRMode? = nil) async throws -> OCRResult {
        try await send(.recognize, json: OCRRequest(image: imageReference, mode: mode, prompt: nil))
    }

    /// Several images in one request; each has its own result or error, in order.
    public func recognizeBatch(_ images: [OCRBatchImage], mode: OCRMode? = nil) async throws -> OCRBatchResponse {
        try await send(.recognizeBatch, json: OCRBatchRequest(images: images, mode: mode))
    }

    /// The calling key's quota and rate; with `days`, its daily history too.
    public func usage(days: Int? = nil) async throws -> Usage {
        try await send(.usage, query: days.map { [URLQueryItem(name: "days", value: String($0))] } ?? [])
    }

    /// Mints a short-lived token: for an app's backend (a server or a tool written in Swift) whose
    /// key has the `tokens` scope, never for the app itself.
    public func createToken(ttlSeconds: Int? = nil, origin: String? = nil) async throws -> CreatedToken {
        try await send(.createToken, json: CreateTokenRequest(ttlSeconds: ttlSeconds, origin: origin))
    }

    // MARK: - Transport

    private func send<Body: Encodable, Answer: Decodable>(_ route: Route, json: Body) async throws -> Answer {
        try await send(route, body: try JSONCoding.encoder.encode(json), contentType: "application/json")
    }

    private func send<Answer: Decodable>(
        _ route: Route,
        body: Data? = nil,
        contentType: String? = nil,
        query: [URLQueryItem] = []
    ) async throws -> Answer {
        var components = URLComponents(
            url: configuration.baseURL.appendingPathComponent(String(route.path.dropFirst())),
            resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query }
        guard let url = components?.url else { throw SecureOCRError.invalidResponse(status: 0) }

        var attempt = 0
        var renewedToken = false
        while true {
            var request = URLRequest(url: url, timeoutInterval: configuration.timeout)
            request.httpMethod = route.method
            request.httpBody = body
            if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            try await authorize(&request)

            let (data, http) = try await exchange(request)
            if (200..<300).contains(http.statusCode) {
                do {
                    return try JSONCoding.decoder.decode(Answer.self, from: data)
                } catch {
                    throw SecureOCRError.invalidResponse(status: http.statusCode)
                }
            }
            let failure = apiError(status: http.statusCode, data: data, headers: http)
            if http.statusCode == 401, case .tokens(let provider) = credential, !renewedToken {
                // The token expired or its key changed: one fresh token, one more try.
                renewedToken = true
                await provider.invalidate()
                continue
            }
            guard let delay = retryDelay(for: failure, attempt: attempt) else { throw SecureOCRError.api(failure) }
            attempt += 1
            try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
        }
    }

    private func authorize(_ request: inout URLRequest) async throws {
        switch credential {
        case .apiKey(let key):
            request.setValue(key, forHTTPHeaderField: "X-API-Key")
        case .tokens(let provider):
            request.setValue("Bearer \(try await provider.token())", forHTTPHeaderField: "Authorization")
        }
    }

    private func exchange(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { throw SecureOCRError.invalidResponse(status: 0) }
            return (data, http)
        } catch let error as URLError where error.code == .timedOut {
            throw SecureOCRError.timeout
        } catch let error as URLError {
            throw SecureOCRError.transport(error)
        }
    }

    /// Seconds to wait before the next try, or nil when the failure is final: only 429 and 503 are
    /// retried, as `Retry-After` says (else with a doubling backoff), and never past `maxRetryDelay`.
    func retryDelay(for failure: APIError, attempt: Int) -> TimeInterval? {
        guard failure.status == 429 || failure.status == 503, attempt < configuration.maxRetries else { return nil }
        let delay = failure.retryAfter ?? configuration.retryDelay * pow(2, Double(attempt))
        return delay <= configuration.maxRetryDelay ? delay : nil
    }

    private func apiError(status: Int, data: Data, headers: HTTPURLResponse) -> APIError {
        let retryAfter = headers.value(forHTTPHeaderField: "Retry-After").flatMap(TimeInterval.init)
        let requestId = headers.value(forHTTPHeaderField: "X-Request-Id")
        if let envelope = try? JSONCoding.decoder.decode(ErrorEnvelope.self, from: data) {
            return APIError(
                status: status, code: envelope.error.code, message: envelope.error.message,
                requestId: envelope.error.requestId, retryAfter: retryAfter)
        }
        // Not the API's shape (a proxy's page): the status alone says what happened.
        return APIError(
            status: status, code: ErrorCode(rawValue: "http_\(status)"),
            message: HTTPURLResponse.localizedString(forStatusCode: status), requestId: requestId,
            retryAfter: retryAfter)
    }
}
