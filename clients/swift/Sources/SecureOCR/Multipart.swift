import Foundation

/// A `multipart/form-data` body (RFC 7578): text fields and one file.
struct MultipartForm {
    let boundary = "SecureOCR-\(UUID().uuidString)"
    private(set) var body = Data()

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func append(field name: String, value: String) {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func append(file name: String, filename: String, contentType: String, data: Data) {
        // Quotes and line breaks cannot be escaped in this header: they are dropped from the name.
        let safe = filename.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" }
        body.append(Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(safe)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }

    func finished() -> Data {
        body + Data("--\(boundary)--\r\n".utf8)
    }
}
