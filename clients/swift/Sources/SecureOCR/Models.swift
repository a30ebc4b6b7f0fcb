import Foundation

// The answers and requests of the Secure OCR API. Every type that crosses the wire names its
// schema in the OpenAPI document (`/docs-json`) with an `// openapi:` line; the gateway's test
// suite (test/e2e/swift-client.e2e-spec.ts) reads these files and checks every property against the
// live document: that it exists, with a compatible type, and that a property the document may
// leave out is optional here. Keep the markers when editing.

// MARK: - Results

// openapi: OcrResultDto
public struct OCRResult: Decodable, Sendable {
    /// The request id (also in `X-Request-Id`); in a batch, suffixed with the item index.
    public let id: String
    /// All lines in reading order, joined by `\n`.
    public let text: String
    public let lines: [OCRLine]
    /// Only with `mode: .markdown`.
    public let markdown: String?
    /// Pixels of the image as sent, after its EXIF orientation is applied.
    public let width: Int
    public let height: Int
    /// Why the image is likely to read badly (empty when nothing suggests it).
    public let warnings: [OCRWarning]
    public let model: String
    /// `cpu` or `cuda`.
    public let device: String
    /// True when served from this key's results cache.
    public let cached: Bool
    public let timing: OCRTiming
}

// openapi: OcrLineDto
public struct OCRLine: Decodable, Sendable {
    public let text: String
    public let confidence: Double
    /// Four corners, clockwise from the top left, as `[x, y]` pixel pairs.
    public let box: [[Double]]
    public let words: [OCRWord]
}

// openapi: OcrWordDto
public struct OCRWord: Decodable, Sendable {
    public let text: String
    public let confidence: Double
    public let box: [[Double]]
}

// openapi: OcrTimingDto
public struct OCRTiming: Decodable, Sendable {
    public let totalMs: Double
    public let queueMs: Double
    public let inferenceMs: Double
}

/// A quality warning. Unknown values decode too: a newer server may add some.
// openapi-enum: OcrResultDto.warnings
public struct OCRWarning: RawRepresentable, Hashable, Codable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let blurry = OCRWarning(rawValue: "blurry")
    public static let smallText = OCRWarning(rawValue: "small_text")
    public static let dark = OCRWarning(rawValue: "dark")
    public static let lowContrast = OCRWarning(rawValue: "low_contrast")
    public static let rotated = OCRWarning(rawValue: "rotated")
}

// openapi: OcrBatchResponseDto
public struct OCRBatchResponse: Decodable, Sendable {
    /// One entry per image, in the order sent.
    public let results: [OCRBatchItem]
}

/// One image of a batch: its result, or the error it alone met.
// openapi-oneof: OcrBatchSuccessDto, OcrBatchFailureDto
public enum OCRBatchItem: Decodable, Sendable {
    case success(OCRBatchSuccess)
    case failure(OCRBatchFailure)

    private enum Discriminator: String, CodingKey { case result, error }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Discriminator.self)
        if container.contains(.result) {
            self = .success(try OCRBatchSuccess(from: decoder))
        } else {
            self = .failure(try OCRBatchFailure(from: decoder))
        }
    }

    /// The item's own reference, when the request gave one.
    public var id: String? {
        switch self {
        case .success(let item): return item.id
        case .failure(let item): return item.id
        }
    }
}

// openapi: OcrBatchSuccessDto
public struct OCRBatchSuccess: Decodable, Sendable {
    public let id: String?
    public let result: OCRResult
}

// openapi: OcrBatchFailureDto
public struct OCRBatchFailure: Decodable, Sendable {
    public let id: String?
    public let error: OCRItemError
}

// openapi: OcrItemErrorDto
public struct OCRItemError: Decodable, Sendable {
    public let code: ErrorCode
    public let message: String
    /// Seconds, for `quota_exceeded` and `worker_overloaded`.
    public let retryAfter: Int?
}

// MARK: - Usage

// openapi: UsageResponseDto
public struct Usage: Decodable, Sendable {
    public let key: UsageKey
    /// The current quota period: the UTC day (`YYYY-MM-DD`).
    public let period: String
    public let used: Int
    public let limit: Int
    public let remaining: Int
    public let resetsAt: Date
    public let rateLimit: RateLimitPolicy
    /// Present when `days` was asked for.
    public let history: [DayUsage]?
}

// openapi: UsageKeyDto
public struct UsageKey: Decodable, Sendable {
    public let id: String
    public let name: String
    public let tier: String
}

// openapi: RateLimitPolicyDto
public struct RateLimitPolicy: Decodable, Sendable {
    public let rps: Double
    public let burst: Int
}

// openapi: DayUsageDto
public struct DayUsage: Decodable, Sendable {
    public let date: String
    public let used: Int
}

// MARK: - Short-lived tokens

// openapi: CreatedTokenDto
public struct CreatedToken: Codable, Sendable {
    /// Send as `Authorization: Bearer <token>`; never stored by the server.
    public let token: String
    public let expiresAt: Date

    public init(token: String, expiresAt: Date) {
        self.token = token
        self.expiresAt = expiresAt
    }
}

// MARK: - Errors on the wire

// openapi: ErrorResponseDto
struct ErrorEnvelope: Decodable {
    let error: ErrorDetail
}

// openapi: ErrorDetailDto
struct ErrorDetail: Decodable {
    let code: ErrorCode
    let message: String
    let requestId: String
}

// MARK: - Requests

/// What a result holds: every mode has `text` and `lines`; `markdown` adds `markdown`.
// openapi-enum: OcrRequestDto.mode
public enum OCRMode: String, Codable, Sendable {
    case text
    case lines
    case markdown
}

// openapi: OcrRequestDto
struct OCRRequest: Encodable {
    /// An https URL the server fetches, a `data:` URI or bare base64.
    let image: String
    let mode: OCRMode?
    let prompt: String?
}

// openapi: OcrBatchRequestDto
struct OCRBatchRequest: Encodable {
    let images: [OCRBatchImage]
    let mode: OCRMode?
}

// openapi: OcrBatchImageDto
public struct OCRBatchImage: Encodable, Sendable {
    public let image: String
    public let id: String?

    /// Bytes, sent as base64 inside the JSON batch.
    public init(data: Data, id: String? = nil) {
        self.image = data.base64EncodedString()
        self.id = id
    }

    /// An https URL the server fetches (under its SSRF rules), or a `data:` URI.
    public init(reference: String, id: String? = nil) {
        self.image = reference
        self.id = id
    }
}

// openapi: CreateTokenDto
struct CreateTokenRequest: Encodable {
    let ttlSeconds: Int?
    let origin: String?
}

/// The multipart form of `POST /api/v1/ocr`.
// openapi-fields: OcrUploadDto
enum UploadField {
    static let image = "image"
    static let mode = "mode"
    static let prompt = "prompt"
}
