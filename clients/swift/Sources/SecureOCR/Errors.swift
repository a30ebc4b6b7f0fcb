import Foundation

/// A contract error code (`{"error":{"code",...}}`). Codes this version does not know decode too:
/// compare with the constants, and fall back on the HTTP status for the others.
// openapi-enum: ErrorDetailDto.code
public struct ErrorCode: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let validationFailed = ErrorCode(rawValue: "validation_failed")
    public static let invalidAPIKey = ErrorCode(rawValue: "invalid_api_key")
    public static let forbidden = ErrorCode(rawValue: "forbidden")
    public static let originNotAllowed = ErrorCode(rawValue: "origin_not_allowed")
    public static let addressNotAllowed = ErrorCode(rawValue: "address_not_allowed")
    public static let notFound = ErrorCode(rawValue: "not_found")
    public static let conflict = ErrorCode(rawValue: "conflict")
    public static let payloadTooLarge = ErrorCode(rawValue: "payload_too_large")
    public static let imageTooLarge = ErrorCode(rawValue: "image_too_large")
    public static let unsupportedMediaType = ErrorCode(rawValue: "unsupported_media_type")
    public static let invalidImage = ErrorCode(rawValue: "invalid_image")
    public static let urlNotAllowed = ErrorCode(rawValue: "url_not_allowed")
    public static let fetchFailed = ErrorCode(rawValue: "fetch_failed")
    public static let rateLimited = ErrorCode(rawValue: "rate_limited")
    public static let quotaExceeded = ErrorCode(rawValue: "quota_exceeded")
    public static let internalError = ErrorCode(rawValue: "internal_error")
    public static let workerUnavailable = ErrorCode(rawValue: "worker_unavailable")
    public static let workerOverloaded = ErrorCode(rawValue: "worker_overloaded")
    public static let databaseUnavailable = ErrorCode(rawValue: "database_unavailable")
    public static let timeout = ErrorCode(rawValue: "timeout")
    public static let requestTimeout = ErrorCode(rawValue: "request_timeout")
    public static let headersTooLarge = ErrorCode(rawValue: "headers_too_large")
}

/// An answer of the API in the contract's error shape.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let code: ErrorCode
    /// A sentence a person can act on.
    public let message: String
    /// Quote it when reporting a problem.
    public let requestId: String?
    /// From `Retry-After`, on 429 and 503.
    public let retryAfter: TimeInterval?

    public var description: String { "\(status) \(code): \(message)" }
}

public enum SecureOCRError: Error, Sendable {
    /// The API answered with an error.
    case api(APIError)
    /// No answer within the configured timeout.
    case timeout
    /// The network failed before an answer arrived.
    case transport(URLError)
    /// An answer that is not the documented shape.
    case invalidResponse(status: Int)
    /// A Keychain call failed with this `OSStatus`.
    case keychain(OSStatus)
}
