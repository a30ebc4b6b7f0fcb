import Foundation
import Security

/// An API key (or any secret) in the Keychain, as a generic password of this device only: not in
/// backups, not synced, readable after the first unlock (so background uploads work).
///
/// An app distributed to the public should not hold a long-lived key at all: let its backend mint
/// short-lived tokens (`ShortLivedTokenProvider`). The Keychain is for keys a person enters on
/// their own device (internal tools, a key pasted into a settings screen).
public struct KeychainStore: Sendable {
    public let service: String
    public let account: String

    public init(service: String = "SecureOCR", account: String = "api-key") {
        self.service = service
        self.account = account
    }

    private var query: [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }

    /// Stores `secret`, replacing what was there.
    public func save(_ secret: String) throws {
        let data = Data(secret.utf8)
        let update: [String: Any] = [
            kSecValueData as String: data,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let status = SecItemUpdate(query as CFDictionary, update as CFDictionary)
        if status == errSecItemNotFound {
            let added = SecItemAdd(query.merging(update) { $1 } as CFDictionary, nil)
            guard added == errSecSuccess else { throw SecureOCRError.keychain(added) }
            return
        }
        guard status == errSecSuccess else { throw SecureOCRError.keychain(status) }
    }

    /// The stored secret; nil when there is none.
    public func load() throws -> String? {
        var item: CFTypeRef?
        let lookup = query.merging([
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]) { $1 }
        let status = SecItemCopyMatching(lookup as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data else { throw SecureOCRError.keychain(status) }
        return String(data: data, encoding: .utf8)
    }

    public func delete() throws {
        let status = SecItemDelete(query as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw SecureOCRError.keychain(status) }
    }
}
