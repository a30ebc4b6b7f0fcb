import XCTest
@testable import SecureOCR

final class SecureOCRTests: XCTestCase {
    func testDecodesAResultWithWordsWarningsAndMillisecondDates() throws {
        let json = """
        {"id":"req_1","text":"TOTAL 12.50","lines":[{"text":"TOTAL 12.50","confidence":0.97,
        "box":[[40,1630],[420,1630],[420,1672],[40,1672]],"words":[{"text":"TOTAL","confidence":0.98,
        "box":[[40,1630],[180,1630],[180,1672],[40,1672]]}]}],"width":1240,"height":1754,
        "warnings":["blurry","something_new"],"model":"m","device":"cpu","cached":false,
        "timing":{"totalMs":1180,"queueMs":12,"inferenceMs":1150}}
        """
        let result = try JSONCoding.decoder.decode(OCRResult.self, from: Data(json.utf8))
        XCTAssertEqual(result.lines.first?.words.first?.text, "TOTAL")
        XCTAssertEqual(result.warnings, [.blurry, OCRWarning(rawValue: "something_new")])
        XCTAssertNil(result.markdown)

        let token = try JSONCoding.decoder.decode(
            CreatedToken.self, from: Data(#"{"token":"ocrt_x.y","expiresAt":"2026-11-27T10:05:00.000Z"}"#.utf8))
        XCTAssertEqual(token.expiresAt.timeIntervalSince1970, 1_764_237_900, accuracy: 0.001)
    }

    func testDecodesBatchItemsAsSuccessOrFailure() throws {
        let json = """
        {"results":[{"id":"a","result":{"id":"req_1:0","text":"","lines":[],"width":1,"height":1,
        "warnings":[],"model":"m","device":"cpu","cached":true,"timing":{"totalMs":1,"queueMs":0,"inferenceMs":0}}},
        {"id":"b","error":{"code":"invalid_image","message":"The image could not be decoded."}}]}
        """
        let batch = try JSONCoding.decoder.decode(OCRBatchResponse.self, from: Data(json.utf8))
        XCTAssertEqual(batch.results.map(\.id), ["a", "b"])
        guard case .failure(let failure) = batch.results[1] else { return XCTFail("expected a failure") }
        XCTAssertEqual(failure.error.code, .invalidImage)
    }

    func testRetriesOnly429And503WithinTheLimits() {
        var configuration = SecureOCRClient.Configuration(baseURL: URL(string: "https://ocr.example.com")!)
        configuration.maxRetries = 2
        configuration.maxRetryDelay = 30
        let client = SecureOCRClient(configuration: configuration, credential: .apiKey("ocr_x_y"))
        func failure(_ status: Int, _ retryAfter: TimeInterval?) -> APIError {
            APIError(status: status, code: .rateLimited, message: "", requestId: nil, retryAfter: retryAfter)
        }
        XCTAssertEqual(client.retryDelay(for: failure(429, 3), attempt: 0), 3)
        XCTAssertEqual(client.retryDelay(for: failure(503, nil), attempt: 1), 1)
        XCTAssertNil(client.retryDelay(for: failure(429, 3), attempt: 2))
        XCTAssertNil(client.retryDelay(for: failure(429, 3600), attempt: 0))
        XCTAssertNil(client.retryDelay(for: failure(400, 1), attempt: 0))
    }

    func testRoutesSplitIntoMethodAndPath() {
        XCTAssertEqual(Route.recognizeBatch.method, "POST")
        XCTAssertEqual(Route.recognizeBatch.path, "/api/v1/ocr/batch")
    }
}
