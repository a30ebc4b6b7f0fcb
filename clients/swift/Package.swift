// swift-tools-version:5.7
import PackageDescription

let package = Package(
    name: "SecureOCR",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "SecureOCR", targets: ["SecureOCR"]),
    ],
    targets: [
        .target(name: "SecureOCR"),
        .testTarget(name: "SecureOCRTests", dependencies: ["SecureOCR"]),
    ]
)
